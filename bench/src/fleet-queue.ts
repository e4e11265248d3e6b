// Queue overhead of fleet mode (docs/fleet.md): N jobs with a tiny SQLite source queued at once through W
// `tricopy worker` processes on a PostgreSQL catalog; prints how long each run waited between being queued and
// starting, and the whole batch's wall time. A measurement, not a test: it asserts nothing.
// Run: pnpm --filter @tricopy/bench run bench:fleet -- [--jobs 500] [--workers 4] [--concurrency 1]
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeTempDir, startPostgres } from '@tricopy/test-servers';
import { execa } from 'execa';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(REPO, 'packages/cli/dist/bin.js');

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    jobs: { type: 'string', default: '500' },
    workers: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '1' },
  },
});
const jobs = Number(values.jobs);
const workers = Number(values.workers);
const concurrency = Number(values.concurrency);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const pg = await startPostgres();
const dir = await makeTempDir('fleet-bench');
try {
  await pg.createDatabase('catalog');
  await execa('sqlite3', [join(dir.path, 'tiny.db'), 'CREATE TABLE t (x); INSERT INTO t VALUES (1);']);
  await mkdir(join(dir.path, 'src'));
  const names = Array.from({ length: jobs }, (_, i) => `job-${String(i).padStart(4, '0')}`);
  for (const name of names) await copyFile(join(dir.path, 'tiny.db'), join(dir.path, 'src', `${name}.db`));
  const config = join(dir.path, 'tricopy.yaml');
  await writeFile(
    config,
    `catalog: postgres://${pg.user}:\${PGPASS}@${pg.host}:${pg.port}/catalog
destinations:
  disk: { type: local, path: ./dest, fsync: false }
policy: { copies: 1, media: 1, offsite: 0 }
workDir: ./work
jobs:
${names.map((n) => `  ${n}: { source: { type: sqlite, path: ./src/${n}.db }, destinations: [disk], compression: none }\n`).join('')}`,
  );
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', PGPASS: pg.password };
  const run = (args: string[]) =>
    execa(process.execPath, [CLI, '--config', config, ...args], {
      cwd: dir.path,
      env,
      extendEnv: false,
      reject: false,
    });
  // The catalog's schema and the queue exist before the clock starts.
  await run(['list']);
  const fleet = Array.from({ length: workers }, () => run(['worker', '--concurrency', String(concurrency)]));
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const started = Date.now();
  const result = await run(['enqueue', '--wait', '--json']);
  const wallMs = Date.now() - started;
  for (const worker of fleet) worker.kill('SIGTERM');
  await Promise.all(fleet);
  const status = result.exitCode === 0 ? 'ok' : `exit ${result.exitCode}: ${result.stderr.slice(0, 300)}`;
  const rows = await pg.sql(
    'catalog',
    `SELECT extract(epoch FROM started_on - created_on) * 1000, extract(epoch FROM completed_on - started_on) * 1000
     FROM tricopy_queue.job WHERE name = 'tricopy-backup' AND state = 'completed'`,
  );
  const waits = rows
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line.split('|')[0]))
    .sort((a, b) => a - b);
  const runs = rows
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line.split('|')[1]))
    .sort((a, b) => a - b);
  const ms = (n: number) => `${Math.round(n)} ms`;
  console.log(
    `fleet queue: ${jobs} jobs (tiny SQLite source, 1 local copy), ${workers} workers × ${concurrency}`,
  );
  console.log(`status: ${status}; completed runs: ${waits.length}`);
  console.log(
    `wall time, enqueue --wait: ${(wallMs / 1000).toFixed(1)} s (${(jobs / (wallMs / 1000)).toFixed(1)} runs/s)`,
  );
  console.log(
    `queued → started: min ${ms(waits[0] ?? Number.NaN)}, p50 ${ms(percentile(waits, 50))}, p95 ${ms(percentile(waits, 95))}, max ${ms(waits.at(-1) ?? Number.NaN)}` +
      ' (includes waiting for a free worker)',
  );
  console.log(
    `started → completed (one backup run): p50 ${ms(percentile(runs, 50))}, p95 ${ms(percentile(runs, 95))}`,
  );
} finally {
  await pg.stop();
  await dir.remove();
}
