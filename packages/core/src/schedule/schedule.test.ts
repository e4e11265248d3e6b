import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@tricopy/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { parseConfig } from '../config/load.js';
import { chooseCompression, createCompressor, createDecompressor } from '../pipeline/compression.js';
import { zstdAvailable } from '../pipeline/zstd.js';
import type { JobResult } from '../results/backup-result.js';
import { cronToOnCalendar, nextRuns, validateCron } from '../util/cron.js';
import { runDaemon } from './daemon.js';

const FILE_SOURCE = fileURLToPath(new URL('../__fixtures__/file-source.mjs', import.meta.url));

describe('cronToOnCalendar', () => {
  it.each([
    ['0 3 * * *', undefined, '*-*-* 03:00:00'],
    ['30 2 * * 1-5', undefined, 'Mon..Fri *-*-* 02:30:00'],
    ['*/15 * * * *', undefined, '*-*-* *:00/15:00'],
    ['0 4 1 * *', 'Europe/Berlin', '*-*-01 04:00:00 Europe/Berlin'],
    ['0 0 * * 0', undefined, 'Sun *-*-* 00:00:00'],
    ['0 6,18 * jan,jul *', undefined, '*-01,07-* 06,18:00:00'],
    ['0 1-9/4 * * *', undefined, '*-*-* 01,05,09:00:00'],
    ['@daily', undefined, '*-*-* 00:00:00'],
  ])('%s (%s) → %s', (cron, tz, expected) => {
    expect(cronToOnCalendar(cron, tz)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['0 3 1 * 1', 'both day of month and day of week'],
    ['*/5 * * * * *', '6 fields'],
    ['0 3 L * *', 'L, W, # or ?'],
  ])('refuses %s', (cron, reason) => {
    const result = cronToOnCalendar(cron);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
});

describe('cron with croner', () => {
  it('validates expressions and computes next runs in a time zone', () => {
    expect(validateCron('0 3 * * *')).toBeUndefined();
    expect(validateCron('61 3 * * *')).toBeDefined();
    expect(validateCron('nonsense')).toContain('five or six');
    expect(validateCron('0 0 3 * * * 2027')).toContain('five or six fields');
    expect(validateCron('@daily')).toBeUndefined();
    const runs = nextRuns('0 3 * * *', 'Europe/Berlin', new Date('2025-01-01T00:00:00Z'), 2);
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2025-01-01T02:00:00.000Z',
      '2025-01-02T02:00:00.000Z',
    ]);
  });
});

describe('zstd', () => {
  const text = Buffer.from('INSERT INTO orders VALUES (1, 2, 3, "2025-01-01");\n'.repeat(20_000));

  async function through(stream: NodeJS.ReadWriteStream, input: Buffer): Promise<Buffer> {
    const out: Buffer[] = [];
    await pipeline(
      Readable.from([input]),
      stream,
      new Writable({
        write(chunk, _e, cb) {
          out.push(chunk);
          cb();
        },
      }),
    );
    return Buffer.concat(out);
  }

  it('round-trips and compresses (zlib on Node 22.15+, the zstd program before)', async () => {
    const compressed = await through(createCompressor('zstd', 3) as NodeJS.ReadWriteStream, text);
    expect(compressed.subarray(0, 4).toString('hex')).toBe('28b52ffd'); // zstd frame magic
    expect(compressed.length).toBeLessThan(text.length / 10);
    expect(
      (await through(createDecompressor('zstd') as NodeJS.ReadWriteStream, compressed)).equals(text),
    ).toBe(true);
  });

  it('fails the stream on corrupt input, naming zstd', async () => {
    await expect(
      through(createDecompressor('zstd') as NodeJS.ReadWriteStream, Buffer.from('definitely not zstd')),
    ).rejects.toThrow(/zstd|Unknown frame|unknown/i);
  });

  it('auto picks zstd for uncompressed dumps when zstd is available, never compresses twice', () => {
    expect(zstdAvailable()).toBe(true); // the zstd program is a test dependency (scripts/install-test-deps.sh)
    expect(chooseCompression('auto', false)).toBe('zstd');
    expect(chooseCompression('auto', true)).toBe('none');
    expect(chooseCompression('gzip', false)).toBe('gzip');
  });

  it('with the program missing (and no zlib zstd), says how to fix it', async () => {
    const saved = { path: process.env.PATH, force: process.env.TRICOPY_ZSTD };
    process.env.PATH = '/nonexistent';
    process.env.TRICOPY_ZSTD = 'binary';
    try {
      await expect(through(createCompressor('zstd', 3) as NodeJS.ReadWriteStream, text)).rejects.toThrow(
        /zstd program is not installed.*apt-get install zstd.*compression: gzip/,
      );
    } finally {
      process.env.PATH = saved.path;
      if (saved.force === undefined) delete process.env.TRICOPY_ZSTD;
      else process.env.TRICOPY_ZSTD = saved.force;
    }
  });
});

describe('runDaemon', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs a scheduled job, and stops cleanly when aborted', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-daemon-'));
    await mkdir(join(dir, 'd'));
    await writeFile(join(dir, 'data.sql'), 'x\n'.repeat(1000));
    const config = await parseConfig(
      `
destinations:
  primary: { type: local, path: ./d/primary, fsync: false }
jobs:
  app:
    source: { type: ${FILE_SOURCE}, path: ./data.sql }
    destinations: [primary]
    schedule: "* * * * * *"
  manual:
    source: { type: ${FILE_SOURCE}, path: ./data.sql }
    destinations: [primary]
catalog: ./catalog.db
workDir: ./work
`,
      join(dir, 'tricopy.yaml'),
      {},
      TEST_PLUGINS,
    );
    const stop = new AbortController();
    const results: JobResult[] = [];
    const daemon = runDaemon({
      config,
      logger: silentLogger,
      signal: stop.signal,
      onResult: (result) => {
        results.push(result);
        stop.abort();
      },
    });
    await daemon;
    expect(results.map((r) => [r.job, r.status])).toEqual([['app', 'ok']]);
  });

  it('names at start a scheduled job that cannot run (an unset variable), and runs the others', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-daemon-'));
    await mkdir(join(dir, 'd'));
    await writeFile(join(dir, 'data.sql'), 'x\n'.repeat(1000));
    const config = await parseConfig(
      `
destinations:
  primary: { type: local, path: ./d/primary, fsync: false }
jobs:
  app:
    source: { type: ${FILE_SOURCE}, path: ./data.sql }
    destinations: [primary]
    schedule: "* * * * * *"
  broken:
    source: { type: ${FILE_SOURCE}, path: "\${TRICOPY_TEST_UNSET_PATH}" }
    destinations: [primary]
    schedule: "0 3 * * *"
catalog: ./catalog.db
workDir: ./work
`,
      join(dir, 'tricopy.yaml'),
      {},
      TEST_PLUGINS,
    );
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => warnings.push(message) };
    const stop = new AbortController();
    const results: JobResult[] = [];
    await runDaemon({
      config,
      logger,
      signal: stop.signal,
      onResult: (result) => {
        results.push(result);
        stop.abort();
      },
    });
    expect(results.map((r) => [r.job, r.status])).toEqual([['app', 'ok']]);
    expect(warnings.filter((w) => w.startsWith('job broken'))).toEqual([
      expect.stringMatching(/^job broken: will fail .*TRICOPY_TEST_UNSET_PATH/),
    ]);
  });

  it('refuses a config where no job has a schedule, or a bad one', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-daemon-'));
    const base = `
destinations:
  primary: { type: local, path: ./d }
jobs:
  app:
    source: { type: ${FILE_SOURCE}, path: ./data.sql }
    destinations: [primary]
`;
    const none = await parseConfig(base, join(dir, 'tricopy.yaml'), {}, TEST_PLUGINS);
    const signal = new AbortController().signal;
    await expect(runDaemon({ config: none, logger: silentLogger, signal })).rejects.toThrow(
      /no job has a schedule/,
    );
    // A bad schedule is refused when the config is loaded, before the daemon sees it.
    await expect(
      parseConfig(`${base}    schedule: "99 * * * *"\n`, join(dir, 'tricopy.yaml'), {}, TEST_PLUGINS),
    ).rejects.toThrow(/jobs\.app\.schedule/);
  });
});
