import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { zstdDecompressSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findZstd, startToolPipe } from './tool-pipe.js';

const ZSTD = findZstd();
const env = { PATH: process.env.PATH ?? '' };

describe.skipIf(ZSTD === undefined)('startToolPipe with zstd', () => {
  const zstd = { program: ZSTD ?? 'zstd', level: 3 };
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-tool-pipe-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("hands Node only zstd's output: it decompresses to exactly what the tool wrote", async () => {
    const pipe = startToolPipe({ file: 'seq', args: ['1', '200000'], env, zstd });
    const compressed = await buffer(pipe.stdout);
    expect(compressed.subarray(0, 4).toString('hex')).toBe('28b52ffd');
    const expected = execFileSync('seq', ['1', '200000'], { maxBuffer: 16 * 2 ** 20 });
    expect(compressed.length).toBeLessThan(expected.length / 3);
    expect(zstdDecompressSync(compressed).equals(expected)).toBe(true);
    expect((await pipe.tool).exitCode).toBe(0);
    expect((await pipe.compressor)?.exitCode).toBe(0);
  });

  it('reports a tool that fails mid-pipe with its stderr, and zstd is gone afterwards', async () => {
    const pipe = startToolPipe({
      file: 'sh',
      args: ['-c', 'seq 1 100000; echo "pg_dump: error: simulated failure" >&2; exit 3'],
      env,
      zstd,
    });
    await buffer(pipe.stdout);
    const tool = await pipe.tool;
    expect(tool.exitCode).toBe(3);
    expect(tool.stderr).toContain('simulated failure');
    expect(pipe.stderr()).toContain('simulated failure');
    // Settled: zstd has exited (its 'close' came), nothing is left running.
    expect((await pipe.compressor)?.exitCode).toBe(0);
    expect(pipe.stopped()).toBe(false);
  });

  it('stops the tool when zstd fails, and says how zstd ended', async () => {
    const fake = join(dir, 'zstd');
    await writeFile(fake, '#!/bin/sh\nhead -c 10 >/dev/null\necho "zstd: simulated error" >&2\nexit 1\n');
    await chmod(fake, 0o755);
    const pipe = startToolPipe({ file: 'yes', args: ['row'], env, zstd: { program: fake, level: 3 } });
    await buffer(pipe.stdout);
    const compressor = await pipe.compressor;
    expect(compressor?.exitCode).toBe(1);
    expect(compressor?.stderr).toContain('simulated error');
    const tool = await pipe.tool;
    expect(tool.exitCode === 0).toBe(false);
  });

  it('stops both programs when the signal aborts', async () => {
    const abort = new AbortController();
    const pipe = startToolPipe({ file: 'yes', args: ['row'], env, zstd, signal: abort.signal });
    pipe.stdout.resume();
    setTimeout(() => abort.abort(new Error('cancelled')), 100);
    const [tool, compressor] = await Promise.all([pipe.tool, pipe.compressor]);
    expect(pipe.stopped()).toBe(true);
    expect(tool.signal ?? compressor?.signal).toBe('SIGTERM');
  });
});

describe('startToolPipe without zstd', () => {
  it("hands Node the tool's own output", async () => {
    const pipe = startToolPipe({ file: 'seq', args: ['1', '5'], env });
    expect((await buffer(pipe.stdout)).toString()).toBe('1\n2\n3\n4\n5\n');
    expect(pipe.compressor).toBeUndefined();
    expect((await pipe.tool).exitCode).toBe(0);
  });

  it('reports a program that cannot be started', async () => {
    const pipe = startToolPipe({ file: '/nonexistent/pg_dump', args: [], env });
    pipe.stdout.resume();
    const exit = await pipe.tool;
    expect((exit.error as NodeJS.ErrnoException | undefined)?.code).toBe('ENOENT');
  });
});

describe('findZstd', () => {
  it('finds no zstd on a PATH without it', () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(findZstd()).toBeUndefined();
    } finally {
      process.env.PATH = saved;
    }
  });
});
