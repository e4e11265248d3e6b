#!/usr/bin/env node
// Measures gzip vs zstd throughput and ratio on SQL text on this machine, through the same compressors tricopy uses.
// Usage: pnpm --filter @tricopy/core build && node docs/measure-compression.mjs [MiB]   (default 64 MiB)
import { readFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { createCompressor } = await import(`${root}packages/core/dist/pipeline/compression.js`);
const { zstdImplementation } = await import(`${root}packages/core/dist/pipeline/zstd.js`);

const sql = readFileSync(`${root}../shared/fixtures/chinook/Chinook_PostgreSql.sql`);
const mib = Number(process.argv[2] ?? 64);
const total = mib * 1024 * 1024;

// The fixture's lines in a shuffled order with every digit redrawn, so copies never repeat verbatim (a plain repeat
// would let zstd's large window match whole copies and flatter it).
const lines = sql.toString('utf8').split('\n');
let seed = 0x9e3779b9;
const random = () => {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
function* sqlText() {
  let produced = 0;
  while (produced < total) {
    const parts = [];
    for (let i = 0; i < 2000; i++) {
      const line = lines[Math.floor(random() * lines.length)] ?? '';
      parts.push(line.replace(/\d/g, () => String(Math.floor(random() * 10))));
    }
    const chunk = Buffer.from(`${parts.join('\n')}\n`);
    produced += chunk.length;
    yield chunk;
  }
}

// Generated once, up front, so the generator's cost is not measured (a benchmark may hold its input in memory).
const corpus = [...sqlText()];

async function measure(kind, level) {
  let out = 0;
  let input = 0;
  const started = process.hrtime.bigint();
  await pipeline(
    Readable.from(corpus),
    new (await import('node:stream')).Transform({
      transform(chunk, _e, cb) {
        input += chunk.length;
        cb(null, chunk);
      },
    }),
    createCompressor(kind, level),
    new Writable({
      write(chunk, _e, cb) {
        out += chunk.length;
        cb();
      },
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { kind, level, mbPerS: input / 1e6 / seconds, ratio: input / out, seconds };
}

console.log(
  `${mib} MiB of SQL text (Chinook PostgreSQL dump lines, shuffled, digits redrawn); zstd via ${zstdImplementation()}; Node ${process.version}`,
);
for (const [kind, level] of [
  ['gzip', 1],
  ['gzip', 6],
  ['zstd', 1],
  ['zstd', 3],
  ['zstd', 9],
]) {
  const r = await measure(kind, level);
  console.log(
    `${kind.padEnd(4)} -${String(level).padEnd(2)} ${r.mbPerS.toFixed(0).padStart(5)} MB/s  ratio ${r.ratio.toFixed(2)}  (${r.seconds.toFixed(2)} s)`,
  );
}
