import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runBackups } from '../schedule/run-backups.js';
import type { StageSeam } from '../session/session.js';
import { type Harness, harness } from '../testing/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  vi.unstubAllEnvs();
});

/** Passes the first `keep` bytes on, then fails the way a dying program's stream does. */
function failAfter(keep: number, message: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > keep) callback(new Error(message));
      else callback(null, chunk);
    },
  });
}

const STAGES: { stage: StageSeam; compression: string }[] = [
  { stage: 'source', compression: 'none' },
  { stage: 'compressor', compression: 'zstd' },
  { stage: 'compressor', compression: 'gzip' },
];

describe('a stage of the stream that fails on its own', () => {
  it.each(STAGES)(
    '%o: is named as the cause, and no destination is blamed',
    async ({ stage, compression }) => {
      h = await harness({
        destinations: { local: {}, nas: {}, cloud: {} },
        compression,
        spool: true,
        tapStage: (at) =>
          at === stage ? failAfter(60_000, 'zstd compress failed (exit 3): boom') : undefined,
      });
      const [result] = (await runBackups(h.session, ['app'])).runs;
      expect(result?.status).toBe('failed');
      expect(result?.error).toBe('zstd compress failed (exit 3): boom');
      for (const copy of result?.copies ?? []) {
        expect(copy.status).toBe('failed');
        expect(copy.error, copy.destination).toBe(
          'not kept: the backup failed before this copy was complete',
        );
      }
      const blamed = h.logs.filter((l) => l.level !== 'debug' && /destination|spool/.test(l.message));
      expect(blamed).toEqual([]);
      for (const destination of Object.values(h.destinations)) {
        expect([...destination.objects.keys()]).toEqual([]);
      }
    },
  );
});

describe('a compressing program that prints garbage, then fails', () => {
  it('is named with its exit status and what it said, not as an output that does not decode', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'tricopy-fake-zstd-'));
    try {
      const fake = join(bin, 'zstd');
      // It has exited by the time its output (from a child of its own) reaches the proof.
      const script = '(sleep 1; printf "not a zstd frame") &\necho "zstd: boom" >&2\nexit 3\n';
      writeFileSync(fake, `#!/bin/sh\n${script}`);
      chmodSync(fake, 0o755);
      vi.stubEnv('PATH', `${bin}${delimiter}${process.env.PATH ?? ''}`);
      vi.stubEnv('TRICOPY_ZSTD', 'program');
      h = await harness({ destinations: { local: {}, cloud: {} }, compression: 'zstd' });
      const [result] = (await runBackups(h.session, ['app'])).runs;
      expect(result?.status).toBe('failed');
      expect(result?.error).toBe('zstd compress failed (exit 3): zstd: boom');
      for (const copy of result?.copies ?? []) expect(copy.error).not.toMatch(/destination|decompress/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
