import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createDecompressor, createVerifyingDecompressor } from './compression.js';

/** The largest chunk a decompressor gives for 4 MiB of base64 text (compressible, like a dump). */
async function largestChunk(decompressor: NodeJS.ReadWriteStream, compressed: Buffer): Promise<number> {
  let largest = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      largest = Math.max(largest, chunk.length);
      callback();
    },
  });
  await pipeline(Readable.from([compressed]), decompressor, sink);
  return largest;
}

const text = Buffer.from(randomBytes(3 * 1024 * 1024).toString('base64'));

// Each output chunk is one write, hash update and fan-out event: zlib's default 16 KiB chunks cost the proof
// about half its CPU again.
describe('decompressors give 256 KiB chunks', () => {
  it('the proof decoding zstd', async () => {
    const decompressor = createVerifyingDecompressor('zstd') as NodeJS.ReadWriteStream;
    expect(await largestChunk(decompressor, zstdCompressSync(text))).toBe(256 * 1024);
  });

  it('reading back gzip and zstd', async () => {
    expect(await largestChunk(createDecompressor('gzip') as NodeJS.ReadWriteStream, gzipSync(text))).toBe(
      256 * 1024,
    );
    expect(
      await largestChunk(createDecompressor('zstd') as NodeJS.ReadWriteStream, zstdCompressSync(text)),
    ).toBe(256 * 1024);
  });
});
