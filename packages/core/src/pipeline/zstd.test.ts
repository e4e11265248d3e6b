import { createWriteStream } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createZstdCompressor, createZstdDecompressor, zstdCompressor, zstdThreads } from './zstd.js';

const SECRET = 'zstd-must-not-see-this';

describe('the zstd program', () => {
  let dir: string;
  const saved = { path: process.env.PATH, force: process.env.TRICOPY_ZSTD };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-zstd-'));
    // A `zstd` first on PATH that writes down its environment, then runs the real one.
    const fake = join(dir, 'zstd');
    await writeFile(
      fake,
      `#!/bin/sh\nenv > "${join(dir, 'env.txt')}"\necho "$@" > "${join(dir, 'args.txt')}"\nexec /usr/bin/zstd "$@"\n`,
    );
    await chmod(fake, 0o755);
    process.env.PATH = `${dir}:${saved.path}`;
    delete process.env.TRICOPY_ZSTD;
    process.env.TRICOPY_TEST_S3_SECRET = SECRET;
  });
  afterEach(async () => {
    process.env.PATH = saved.path;
    if (saved.force === undefined) delete process.env.TRICOPY_ZSTD;
    else process.env.TRICOPY_ZSTD = saved.force;
    delete process.env.TRICOPY_TEST_S3_SECRET;
    await rm(dir, { recursive: true, force: true });
  });

  it('compresses with the program on PATH by default: 1 to 4 threads, one fewer than the cores; 2 MiB jobs', async () => {
    expect(zstdCompressor()).toBe('zstd program');
    await pipeline(
      Readable.from([Buffer.from('x')]),
      createZstdCompressor(5),
      createWriteStream(join(dir, 'o')),
    );
    expect((await readFile(join(dir, 'args.txt'), 'utf8')).trim()).toBe(
      `-5 -T${zstdThreads()} -B2MiB -c -q --no-progress`,
    );
    expect(zstdThreads()).toBeGreaterThanOrEqual(1);
    expect(zstdThreads()).toBeLessThanOrEqual(4);
  });

  it("uses Node's zlib where no program is on PATH, or where TRICOPY_ZSTD=node", () => {
    process.env.TRICOPY_ZSTD = 'node';
    expect(zstdCompressor()).toBe('node:zlib');
    delete process.env.TRICOPY_ZSTD;
    process.env.PATH = '/nonexistent';
    expect(zstdCompressor()).toBe('node:zlib');
  });

  it("round-trips with a minimal environment that holds none of tricopy's secrets", async () => {
    const text = Buffer.from('INSERT INTO t VALUES (1);\n'.repeat(1000));
    const compressed = join(dir, 'out.zst');
    await pipeline(Readable.from([text]), createZstdCompressor(3), createWriteStream(compressed));
    const env = await readFile(join(dir, 'env.txt'), 'utf8');
    expect(env).toContain(`PATH=${dir}:`);
    expect(env).not.toContain('TRICOPY_TEST_S3_SECRET');
    expect(env).not.toContain(SECRET);
    const back = await buffer(Readable.from([await readFile(compressed)]).pipe(createZstdDecompressor()));
    expect(back.equals(text)).toBe(true);
  });
});
