// WAL archiving throughput (issue #24): how many 16 MiB segments per second `tricopy wal` stores on local + SFTP +
// S3 (each compressed, written to the three at once, cross-checked, recorded and acknowledged), against
// `pg_receivewal` alone writing them to a local folder. Each round first writes SEGMENTS segments of table rows
// while both slots hold them (the archivers are stopped), then times each archiver catching up from its slot: from
// its start until the last segment is acknowledged (tricopy: the ack slot moved past it, which happens only once the
// policy holds, every copy verified) or complete on disk (pg_receivewal). A measurement, not a test: it asserts
// nothing. Run: pnpm --filter @tricopy/bench run bench:wal -- [--segments 32] [--runs 3]
import { type ChildProcess, spawn } from 'node:child_process';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeTempDir, type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { startDestinations } from './destinations.js';
import { median } from './stats.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(REPO, 'packages/cli/dist/bin.js');
const SEGMENT = 16 * 2 ** 20;
const ACK_SLOT = 'tricopy_bench';
const PLAIN_SLOT = 'bench_receivewal';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: { segments: { type: 'string', default: '32' }, runs: { type: 'string', default: '3' } },
});
const segments = Number(values.segments);
const runs = Number(values.runs);

const log = (line: string) =>
  process.stderr.write(`[bench:wal ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function poll(what: string, probe: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('close', () => r()));
}

async function stopChild(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await exited(child);
}

/** Writes table rows until `count` segments have filled, closes the last one, and returns its name. */
async function generateSegments(pg: PostgresServer, count: number): Promise<string> {
  const start = await pg.sql('postgres', 'SELECT pg_current_wal_lsn()');
  for (;;) {
    await pg.sql(
      'postgres',
      `INSERT INTO orders (customer, note) SELECT 'customer ' || (random() * 50000)::int,
         'ref ' || md5(random()::text) || ' to warehouse ' || (random() * 200)::int FROM generate_series(1, 50000)`,
    );
    const written = Number(await pg.sql('postgres', `SELECT pg_current_wal_lsn() - '${start}'::pg_lsn`));
    if (written >= count * SEGMENT) break;
  }
  return pg.sql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())');
}

/** The first segment `slot` retains (+ 1: a restart_lsn on a boundary starts the next segment). */
async function retainedFrom(pg: PostgresServer, slot: string): Promise<string> {
  return pg.sql(
    'postgres',
    `SELECT pg_walfile_name(restart_lsn + 1) FROM pg_replication_slots WHERE slot_name = '${slot}'`,
  );
}

function startTricopy(dir: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [CLI, 'wal', 'bench', '--quiet'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function timeTricopy(
  pg: PostgresServer,
  dir: string,
  env: Record<string, string>,
  last: string,
): Promise<{ seconds: number; peakMiB: number }> {
  const started = performance.now();
  const child = startTricopy(dir, env);
  try {
    await poll(`tricopy to acknowledge ${last}`, async () => (await retainedFrom(pg, ACK_SLOT)) > last);
    const seconds = (performance.now() - started) / 1000;
    return { seconds, peakMiB: await peakRssMiB(child.pid) };
  } finally {
    await stopChild(child);
  }
}

/** The process's peak resident set so far (VmHWM), in MiB. */
async function peakRssMiB(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

async function timeReceivewal(pg: PostgresServer, spool: string, last: string): Promise<number> {
  const started = performance.now();
  const child = spawn(
    join(pg.binDir, 'pg_receivewal'),
    ['-h', pg.host, '-p', String(pg.port), '-U', pg.user, '-w', '-D', spool, '-S', PLAIN_SLOT],
    {
      env: { PATH: process.env.PATH ?? '', PGPASSWORD: pg.password },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  try {
    await poll(`pg_receivewal to complete ${last}`, () =>
      access(join(spool, last)).then(
        () => true,
        () => false,
      ),
    );
    return (performance.now() - started) / 1000;
  } finally {
    await stopChild(child);
  }
}

async function timedTricopy(
  pg: PostgresServer,
  dir: string,
  env: Record<string, string>,
  last: string,
  peaks: number[],
): Promise<number> {
  const { seconds, peakMiB } = await timeTricopy(pg, dir, env, last);
  peaks.push(peakMiB);
  return seconds;
}

const scratch = await makeTempDir('wal-bench', 0o755);
const destinations = await startDestinations(scratch.path);
const pg = await startPostgres();
try {
  await pg.sql('postgres', 'CREATE TABLE orders (id bigserial PRIMARY KEY, customer text, note text)');
  await pg.sql('postgres', `SELECT pg_create_physical_replication_slot('${PLAIN_SLOT}', true)`);
  const dir = join(scratch.path, 'tricopy');
  await mkdir(dir);
  await writeFile(
    join(dir, 'tricopy.yaml'),
    `${destinations.yaml}jobs:
  bench:
    source: { type: postgres, host: ${pg.host}, port: ${pg.port}, user: ${pg.user}, password: "\${PGPASS}", database: postgres, binDir: ${pg.binDir}, mode: base, wal: true }
    destinations: [local, nas, cloud]
workDir: ./work
`,
  );
  const env = { PATH: process.env.PATH ?? '', HOME: scratch.path, PGPASS: pg.password, ...destinations.env };
  // The first start creates tricopy's slots; from then on both slots hold every segment the rounds write.
  const first = startTricopy(dir, env);
  await poll('tricopy to create its slot', async () => (await retainedFrom(pg, ACK_SLOT)) !== '', 120_000);
  await stopChild(first);

  const spool = join(scratch.path, 'receivewal');
  await mkdir(spool);
  const times = { receivewal: [] as number[], tricopy: [] as number[] };
  const peaks: number[] = [];
  for (let round = 1; round <= runs; round++) {
    const last = await generateSegments(pg, segments);
    log(`round ${round}/${runs}: ${segments} segments written, the last ${last}`);
    // Alternate which one reads first, so page-cache warmth does not favour one side.
    const order =
      round % 2 === 1 ? (['receivewal', 'tricopy'] as const) : (['tricopy', 'receivewal'] as const);
    for (const side of order) {
      const seconds =
        side === 'tricopy'
          ? await timedTricopy(pg, dir, env, last, peaks)
          : await timeReceivewal(pg, spool, last);
      times[side].push(seconds);
      log(`  ${side}: ${seconds.toFixed(2)} s`);
    }
    await rm(spool, { recursive: true, force: true });
    await mkdir(spool);
  }
  const row = (name: string, xs: number[]) => {
    const s = median(xs);
    return `| ${name} | ${segments} | ${s.toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}) | ${(segments / s).toFixed(1)} | ${((segments * SEGMENT) / 2 ** 20 / s).toFixed(0)} |`;
  };
  console.log('| WAL archiving | segments | median s (range) | segments/s | MiB/s of WAL |');
  console.log('| --- | --- | --- | --- | --- |');
  console.log(row('`pg_receivewal` alone → local folder', times.receivewal));
  console.log(row('`tricopy wal` → local + SFTP + S3 (zstd, verified, acknowledged)', times.tricopy));
  console.log(`\ntricopy's peak RSS: ${Math.max(...peaks).toFixed(0)} MiB (largest of the rounds).`);
  console.log(
    `${runs} rounds; each round ${segments} × 16 MiB of WAL from inserts, caught up from the slot by each side (start-up included).`,
  );
} finally {
  await Promise.allSettled([pg.stop(), destinations.stop()]);
  await scratch.remove();
}
