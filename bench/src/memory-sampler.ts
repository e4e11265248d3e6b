/**
 * Loaded into the tricopy process with `node --import` by `bench:memory --profile`: samples `process.memoryUsage()`
 * every 20 ms and, at exit, writes to the file named by TRICOPY_MEMORY_PROFILE the largest value of each field (MiB)
 * and the RSS when the dump's bytes first show (more than 1 MiB of ArrayBuffers): what start-up and modules cost.
 */
import { writeFileSync } from 'node:fs';

type Field = 'rss' | 'heapTotal' | 'heapUsed' | 'external' | 'arrayBuffers';
const FIELDS: readonly Field[] = ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'];
const out = process.env.TRICOPY_MEMORY_PROFILE;
const peak: Record<Field, number> = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
let rssBeforeData: number | undefined;

function sample(): void {
  const usage = process.memoryUsage();
  for (const field of FIELDS) peak[field] = Math.max(peak[field], usage[field]);
  if (rssBeforeData === undefined && usage.arrayBuffers > 2 ** 20) rssBeforeData = usage.rss;
}

if (out !== undefined) {
  setInterval(sample, 20).unref();
  process.on('exit', () => {
    sample();
    const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
    const result = Object.fromEntries(FIELDS.map((field) => [field, mib(peak[field])]));
    writeFileSync(out, JSON.stringify({ ...result, rssAtFirstData: mib(rssBeforeData ?? 0) }));
  });
}
