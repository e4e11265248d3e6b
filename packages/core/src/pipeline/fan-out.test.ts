import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FanOut } from './fan-out.js';
import { HashCounter, hashStream } from './hash-counter.js';

function chunks(count: number, size: number): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i++ >= count) this.push(null);
      else this.push(Buffer.alloc(size, i % 251));
    },
  });
}

describe('FanOut', () => {
  it('delivers the same bytes to every branch', async () => {
    const fanOut = new FanOut(['a', 'b', 'c']);
    const reads = fanOut.branches.map((b) => hashStream(b.stream));
    const hasher = new HashCounter();
    await pipeline(chunks(64, 64 * 1024), hasher, fanOut);
    const results = await Promise.all(reads);
    for (const result of results) expect(result).toEqual({ size: hasher.bytes, sha256: hasher.sha256 });
    expect(hasher.bytes).toBe(64 * 64 * 1024);
  });

  it('lets the slowest branch set the pace, so buffered memory stays bounded', async () => {
    const fanOut = new FanOut(['fast', 'slow']);
    let produced = 0;
    let consumedBySlow = 0;
    let maxLead = 0;
    const source = new Readable({
      read() {
        if (produced >= 64 * 1024 * 1024) return this.push(null);
        produced += 256 * 1024;
        this.push(Buffer.alloc(256 * 1024));
      },
    });
    const fast = hashStream(fanOut.branches[0]!.stream);
    const slow = (async () => {
      for await (const chunk of fanOut.branches[1]!.stream) {
        consumedBySlow += (chunk as Buffer).length;
        maxLead = Math.max(maxLead, produced - consumedBySlow);
        await sleep(1);
      }
    })();
    await pipeline(source, fanOut);
    await Promise.all([fast, slow]);
    expect(consumedBySlow).toBe(64 * 1024 * 1024);
    // A few high-water marks (1 MiB each) of lead at most, never a large part of the 64 MiB.
    expect(maxLead).toBeLessThan(8 * 1024 * 1024);
  });

  it('detaches a failing branch and completes the others', async () => {
    const fanOut = new FanOut(['good', 'bad']);
    const good = hashStream(fanOut.branches[0]!.stream);
    const bad = (async () => {
      let seen = 0;
      for await (const chunk of fanOut.branches[1]!.stream) {
        seen += (chunk as Buffer).length;
        if (seen > 1024 * 1024) throw new Error('disk full');
      }
    })().catch((error: Error) => {
      fanOut.detach('bad', error);
      return error;
    });
    const reference = createHash('sha256');
    const source = chunks(40, 128 * 1024);
    source.on('data', (c: Buffer) => reference.update(c));
    await pipeline(source, fanOut);
    expect((await bad) as Error).toHaveProperty('message', 'disk full');
    expect((await good).sha256).toBe(reference.digest('hex'));
    expect(fanOut.branches[1]!.alive).toBe(false);
  });

  it('destroys every branch when the source fails', async () => {
    const fanOut = new FanOut(['a', 'b']);
    const reads = fanOut.branches.map((b) =>
      hashStream(b.stream).then(
        () => 'ended',
        (e: Error) => e.message,
      ),
    );
    const failing = new Readable({
      read() {
        this.destroy(new Error('pg_dump died'));
      },
    });
    await expect(pipeline(failing, fanOut)).rejects.toThrow('pg_dump died');
    expect(await Promise.all(reads)).toEqual(['pg_dump died', 'pg_dump died']);
  });

  it('survives a branch whose consumer failed before reading anything', async () => {
    const fanOut = new FanOut(['gone', 'kept']);
    fanOut.detach('gone', new Error('folder missing'));
    const kept = hashStream(fanOut.branches[1]!.stream);
    await pipeline(chunks(8, 1024), fanOut);
    expect((await kept).size).toBe(8 * 1024);
  });

  it('detaches a branch that takes no data for stallMs and completes the others', async () => {
    const fanOut = new FanOut(['stuck', 'kept'], { stallMs: 200 });
    const kept = hashStream(fanOut.branches[1]!.stream);
    const stuck = new Promise<string>((resolve) =>
      fanOut.branches[0]!.stream.once('close', () => resolve('closed')),
    );
    await pipeline(chunks(16, 256 * 1024), fanOut);
    expect(await stuck).toBe('closed');
    expect(fanOut.branches[0]!.alive).toBe(false);
    expect((await kept).size).toBe(16 * 256 * 1024);
  });
});
