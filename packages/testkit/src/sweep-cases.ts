import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Destination, PutResult, SweepOptions } from '@tricopy/contract';
import { describe, expect, it } from 'vitest';
import { expectCode } from './errors.js';
import { readAll } from './streams.js';

/** Sweeps tried while waiting for a live upload's leftover to appear, a few milliseconds apart. */
const SWEEP_ATTEMPTS = 100;

/** A put whose body stops after `head` until `finish` is called: an upload in progress, as sweeps meet it. */
function livePut(destination: Destination, key: string, head: Buffer) {
  const body = new PassThrough();
  const tail = randomBytes(1024);
  body.write(head);
  const done = destination.put(key, body).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  const finish = async (): Promise<{ result?: PutResult; error?: unknown }> => {
    body.end(tail);
    return done;
  };
  return { finish, bytes: Buffer.concat([head, tail]) };
}

/**
 * The sweep rule (contract SweepOptions): a sweep removes what is provably dead only. Another process (another
 * config sharing the destination) may be uploading under the same prefix while a job starts.
 */
export function sweepCases(
  dest: () => Destination,
  base: () => string,
  options: { bodyBytes: number; timeout?: number; vanishedMessage?: RegExp },
) {
  const { bodyBytes, timeout, vanishedMessage } = options;
  describe('sweep', () => {
    it('leaves a live upload alone unless its folder is abandoned: the put completes', {
      timeout,
    }, async (ctx) => {
      const sweep = dest().sweep?.bind(dest());
      if (sweep === undefined) ctx.skip('destination has no sweep');
      const key = `${base()}/live/object.bin`;
      const upload = livePut(dest(), key, randomBytes(bodyBytes));
      const options: SweepOptions = { olderThan: new Date(0), abandoned: (f) => f === `${base()}/other/` };
      for (let attempt = 0; attempt < 10; attempt++) {
        expect(await sweep?.(`${base()}/`, options)).toEqual([]);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const { result, error } = await upload.finish();
      expect(error).toBeUndefined();
      expect(result?.size).toBe(upload.bytes.length);
      expect((await readAll(await dest().get(key))).equals(upload.bytes)).toBe(true);
    });

    it('never removes a stored object, even in an abandoned folder', { timeout }, async (ctx) => {
      if (dest().sweep === undefined) ctx.skip('destination has no sweep');
      const key = `${base()}/stored/object.bin`;
      await dest().put(key, new PassThrough().end(randomBytes(100)));
      const removed = await dest().sweep?.(`${base()}/`, { olderThan: new Date(), abandoned: () => true });
      expect(removed).toEqual([]);
      expect((await dest().stat(key))?.size).toBe(100);
    });

    it('a live upload whose leftover a sweep of its abandoned folder removed fails; it never claims success', {
      timeout,
    }, async (ctx) => {
      const sweep = dest().sweep?.bind(dest());
      if (sweep === undefined) ctx.skip('destination has no sweep');
      const key = `${base()}/abandoned/object.bin`;
      const upload = livePut(dest(), key, randomBytes(bodyBytes));
      const options: SweepOptions = {
        olderThan: new Date(0),
        abandoned: (f) => f === `${base()}/abandoned/`,
      };
      let removed: readonly string[] = [];
      for (let attempt = 0; attempt < SWEEP_ATTEMPTS && removed.length === 0; attempt++) {
        removed = (await sweep?.(`${base()}/`, options)) ?? [];
        if (removed.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const { error } = await upload.finish();
      if (removed.length === 0) {
        // This destination writes nothing before the end of the body: there was nothing to sweep.
        expect(error).toBeUndefined();
        return;
      }
      expect((error as { code?: string } | undefined)?.code, String(error)).toBe('DESTINATION');
      if (vanishedMessage !== undefined) expect(String(error), String(error)).toMatch(vanishedMessage);
      expect(await dest().stat(key)).toBeUndefined();
      await expectCode(() => dest().get(key), 'NOT_FOUND');
    });
  });
}
