import { randomBytes, randomUUID } from 'node:crypto';
import type { Destination, ObjectInfo } from '@tricopy/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureError, expectCode } from './errors.js';
import {
  bufferBody,
  endlessBody,
  failingBody,
  hashStream,
  randomBody,
  readAll,
  sha256Hex,
} from './streams.js';
import { sweepCases } from './sweep-cases.js';

export interface DestinationUnderTest {
  /** A fresh, EMPTY destination. */
  destination: Destination;
  /** Removes everything the destination stored and anything it started. Called after `close()`. */
  cleanup: () => Promise<void>;
}

export interface DestinationSuiteOptions {
  /** Called before each test. */
  create: () => Promise<DestinationUnderTest>;
  /** Size of the large round-trip body (default 8 MiB). */
  largeBodyBytes?: number;
  /** Per-test timeout in ms (default: the vitest config's testTimeout). */
  timeout?: number;
  /** What `put` must say when a sweep removed its upload while it was being written (checked when given). */
  vanishedMessage?: RegExp;
}

/** The keys every method of every destination must reject with INVALID_KEY. */
export const UNSAFE_KEYS: readonly string[] = ['../x', '/abs', 'a\0b', 'a/../../b'];

/**
 * Registers a `describe` block with the conformance cases every tricopy destination must pass.
 * Each test gets a fresh destination from `options.create()`; it is closed and cleaned up afterwards.
 */
export function destinationSuite(name: string, options: DestinationSuiteOptions): void {
  const largeBodyBytes = options.largeBodyBytes ?? 8 * 1024 * 1024;
  const timeout = options.timeout;

  describe(`destination conformance: ${name}`, () => {
    let current: DestinationUnderTest | undefined;
    const dest = (): Destination => {
      if (!current) throw new Error('testkit: create() did not run');
      return current.destination;
    };
    /** A random folder per test keeps keys independent even if a destination is shared by mistake. */
    let base = '';

    beforeEach(async () => {
      current = await options.create();
      base = `tk-${randomUUID()}`;
    }, timeout);

    afterEach(async () => {
      const finished = current;
      current = undefined;
      if (!finished) return;
      try {
        await finished.destination.close?.();
      } finally {
        await finished.cleanup();
      }
    }, timeout);

    async function listKeys(prefix: string): Promise<string[]> {
      const keys: string[] = [];
      for await (const info of dest().list(prefix)) keys.push(info.key);
      return keys.sort();
    }

    async function listAll(prefix: string): Promise<ObjectInfo[]> {
      const infos: ObjectInfo[] = [];
      for await (const info of dest().list(prefix)) infos.push(info);
      return infos;
    }

    async function putBytes(key: string, bytes: Buffer, withSha = true) {
      return dest().put(key, bufferBody(bytes), withSha ? { sha256: sha256Hex(bytes) } : {});
    }

    async function expectNothingUnder(key: string): Promise<void> {
      expect(await dest().stat(key)).toBeUndefined();
      await expectCode(() => dest().get(key), 'NOT_FOUND');
    }

    describe('round trip', () => {
      it('stores and returns an empty body', { timeout }, async () => {
        const key = `${base}/empty`;
        const result = await putBytes(key, Buffer.alloc(0));
        expect(result.size).toBe(0);
        const back = await hashStream(await dest().get(key));
        expect(back).toEqual({ size: 0, sha256: sha256Hex(Buffer.alloc(0)) });
        expect((await dest().stat(key))?.size).toBe(0);
      });

      it('stores and returns a small body byte for byte', { timeout }, async () => {
        const key = `${base}/small.bin`;
        const bytes = Buffer.concat([Buffer.from('tricopy\n\0\xff\r\n', 'latin1'), randomBytes(1000)]);
        await putBytes(key, bytes);
        expect((await readAll(await dest().get(key))).equals(bytes)).toBe(true);
      });

      it(`streams a ${largeBodyBytes}-byte random body and returns it byte for byte`, {
        timeout,
      }, async () => {
        const key = `${base}/large.bin`;
        const body = randomBody(largeBodyBytes);
        const result = await dest().put(key, body.stream);
        expect(result.size).toBe(largeBodyBytes);
        if (result.sha256 !== undefined) expect(result.sha256).toBe(body.sha256());
        const back = await hashStream(await dest().get(key));
        expect(back.size).toBe(largeBodyBytes);
        expect(back.sha256).toBe(body.sha256());
      });
    });

    describe('put', () => {
      it('returns the size, the sha256 it was given or observed, and the location', { timeout }, async () => {
        const key = `${base}/result.bin`;
        const bytes = randomBytes(4321);
        const result = await putBytes(key, bytes);
        expect(result.size).toBe(bytes.length);
        if (result.sha256 !== undefined) expect(result.sha256).toBe(sha256Hex(bytes));
        expect(typeof result.location).toBe('string');
        expect(result.location.length).toBeGreaterThan(0);
        expect(result.location).toBe(dest().locate(key));
      });

      it('reports the sha256 of what it stored when capabilities.readBackSha256', {
        timeout,
      }, async (ctx) => {
        if (!dest().capabilities?.readBackSha256) ctx.skip('destination does not declare readBackSha256');
        const bytes = randomBytes(2048);
        const result = await putBytes(`${base}/readback.bin`, bytes, false);
        expect(result.sha256).toBe(sha256Hex(bytes));
      });

      it('replaces an existing object', { timeout }, async () => {
        const key = `${base}/overwrite.bin`;
        await putBytes(key, randomBytes(5000));
        const second = randomBytes(1234);
        const result = await putBytes(key, second);
        expect(result.size).toBe(second.length);
        expect((await readAll(await dest().get(key))).equals(second)).toBe(true);
        expect((await dest().stat(key))?.size).toBe(second.length);
        expect(await listKeys(`${base}/`)).toEqual([key]);
      });

      it('rejects when the body fails halfway and leaves nothing behind', { timeout }, async () => {
        const key = `${base}/broken.bin`;
        await captureError(() => dest().put(key, failingBody(256 * 1024)));
        await expectNothingUnder(key);
        expect(await listKeys('')).toEqual([]);
      });

      it('keeps the previous object when a replacing put fails', { timeout }, async () => {
        const key = `${base}/keep.bin`;
        const original = randomBytes(3000);
        await putBytes(key, original);
        await captureError(() => dest().put(key, failingBody(256 * 1024)));
        expect((await readAll(await dest().get(key))).equals(original)).toBe(true);
        expect(await listKeys('')).toEqual([key]);
      });

      it('rejects when aborted midway and leaves nothing behind', { timeout }, async () => {
        const key = `${base}/aborted.bin`;
        const controller = new AbortController();
        const body = endlessBody((total) => {
          if (total >= 512 * 1024 && !controller.signal.aborted) controller.abort(new Error('testkit abort'));
        });
        await captureError(() => dest().put(key, body, { signal: controller.signal }));
        body.destroy();
        await expectNothingUnder(key);
        expect(await listKeys('')).toEqual([]);
      });

      it('rejects when the signal is already aborted and stores nothing', { timeout }, async () => {
        const key = `${base}/pre-aborted.bin`;
        await captureError(() =>
          dest().put(key, bufferBody(randomBytes(100)), { signal: AbortSignal.abort(new Error('testkit')) }),
        );
        await expectNothingUnder(key);
        expect(await listKeys('')).toEqual([]);
      });
    });

    describe('stat', () => {
      it('returns the size after put (and the sha256 when capabilities.storedSha256)', {
        timeout,
      }, async () => {
        const key = `${base}/stat.bin`;
        const bytes = randomBytes(777);
        await putBytes(key, bytes);
        const info = await dest().stat(key);
        expect(info).toBeDefined();
        expect(info?.key).toBe(key);
        expect(info?.size).toBe(bytes.length);
        if (dest().capabilities?.storedSha256) expect(info?.sha256).toBe(sha256Hex(bytes));
        else if (info?.sha256 !== undefined) expect(info.sha256).toBe(sha256Hex(bytes));
      });

      it('returns undefined for a missing key', { timeout }, async () => {
        expect(await dest().stat(`${base}/missing`)).toBeUndefined();
        expect(await dest().stat(`${base}/no/such/folder/file`)).toBeUndefined();
      });
    });

    describe('get', () => {
      it('rejects a missing key with NOT_FOUND', { timeout }, async () => {
        await expectCode(() => dest().get(`${base}/missing`), 'NOT_FOUND');
        await expectCode(() => dest().get(`${base}/no/such/folder/file`), 'NOT_FOUND');
      });

      it('rejects a "folder" (a prefix of other keys) with NOT_FOUND', { timeout }, async () => {
        await putBytes(`${base}/dir/file`, Buffer.from('x'));
        await expectCode(() => dest().get(`${base}/dir`), 'NOT_FOUND');
        expect(await dest().stat(`${base}/dir`)).toBeUndefined();
      });
    });

    describe('list', () => {
      it('returns exactly the keys under a prefix', { timeout }, async () => {
        const keys = [`${base}/a/b/x`, `${base}/a/b/y/z`, `${base}/a/bc/x`, `${base}/a/b2`, `${base}/c`];
        for (const key of keys) await putBytes(key, Buffer.from(key));

        expect(await listKeys(`${base}/a/b/`)).toEqual([`${base}/a/b/x`, `${base}/a/b/y/z`]);
        expect(await listKeys(`${base}/a/bc/`)).toEqual([`${base}/a/bc/x`]);
        // Without a trailing slash a prefix is a plain string prefix, as in S3.
        expect(await listKeys(`${base}/a/b`)).toEqual(
          [`${base}/a/b/x`, `${base}/a/b/y/z`, `${base}/a/b2`, `${base}/a/bc/x`].sort(),
        );
        expect(await listKeys(`${base}/`)).toEqual([...keys].sort());
        expect(await listKeys('')).toEqual([...keys].sort());
        expect(await listKeys(`${base}/nothing/`)).toEqual([]);
        expect(await listKeys(`tk-${randomUUID()}/`)).toEqual([]);
      });

      it('reports the size of each object', { timeout }, async () => {
        await putBytes(`${base}/one`, randomBytes(10));
        await putBytes(`${base}/two`, randomBytes(20));
        const sizes = Object.fromEntries((await listAll(`${base}/`)).map((info) => [info.key, info.size]));
        expect(sizes).toEqual({ [`${base}/one`]: 10, [`${base}/two`]: 20 });
      });

      it('rejects an unsafe prefix with INVALID_KEY', { timeout }, async () => {
        await expectCode(() => listKeys('../'), 'INVALID_KEY');
        await expectCode(() => listKeys('/abs/'), 'INVALID_KEY');
      });
    });

    describe('delete', () => {
      it('removes an object and is idempotent', { timeout }, async () => {
        const key = `${base}/gone.bin`;
        const sibling = `${base}/stays.bin`;
        await putBytes(key, randomBytes(10));
        await putBytes(sibling, randomBytes(10));
        await dest().delete(key);
        await expectNothingUnder(key);
        await dest().delete(key);
        await dest().delete(`${base}/never/existed`);
        expect(await listKeys('')).toEqual([sibling]);
      });
    });

    sweepCases(dest, () => base, {
      bodyBytes: largeBodyBytes,
      ...(timeout === undefined ? {} : { timeout }),
      ...(options.vanishedMessage === undefined ? {} : { vanishedMessage: options.vanishedMessage }),
    });

    describe('unsafe keys', () => {
      for (const key of UNSAFE_KEYS) {
        it(`rejects ${JSON.stringify(key)} in put, get, stat and delete with INVALID_KEY`, {
          timeout,
        }, async () => {
          await expectCode(() => dest().put(key, bufferBody(Buffer.from('evil'))), 'INVALID_KEY');
          await expectCode(() => dest().get(key), 'INVALID_KEY');
          await expectCode(() => dest().stat(key), 'INVALID_KEY');
          await expectCode(() => dest().delete(key), 'INVALID_KEY');
          expect(await listKeys('')).toEqual([]);
        });
      }
    });
  });
}
