// Rotating verification in fleet mode through the real CLI: a PostgreSQL catalog and queue, two daemons and a
// worker. A tick is queued once across the daemons, a worker runs it under the job's catalog lock, and a job whose
// backup is running is skipped, not reported as failed.
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';
import { type Running, startLogged, until } from './fleet-cli.js';
import { makeSqliteDatabase, sample } from './fleet-env.js';

interface ListJson {
  backups: {
    backupId: string;
    status: string;
    copies: { destination: string; status: string; lastDeepVerifiedAt: string | null }[];
  }[];
}

let pg: PostgresServer | undefined;
let ws: Workspace | undefined;
let catalogs = 0;
const running: Running[] = [];

const server = () => pg as PostgresServer;
const workspace = () => ws as Workspace;
const opts = () => ({ cwd: workspace().dir, env: { PGPASS_TEST: server().password } });
const holdFile = () => join(workspace().dir, 'hold');

beforeAll(async () => {
  const [s, w] = await Promise.all([startPostgres(), makeWorkspace('fleet-rotation')]);
  pg = s;
  ws = w;
  await s.createDatabase('src');
  await s.sql('src', 'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100);');
  makeSqliteDatabase(join(w.dir, 'app.db'));
  // While the hold file exists, pg_dump sends its dump and then keeps the stream open: a backup in progress.
  const real = join(s.binDir, 'pg_dump');
  await writeFile(
    join(w.dir, 'pg_dump'),
    `#!/bin/sh\ncase " $* " in *" --version "*) exec ${real} "$@" ;; esac\n${real} "$@"\nwhile [ -f '${holdFile()}' ]; do sleep 0.05; done\n`,
  );
  await chmod(join(w.dir, 'pg_dump'), 0o755);
  await mkdir(join(w.dir, 'work'));
}, 120_000);

afterAll(async () => {
  await rm(holdFile(), { force: true }).catch(() => undefined);
  for (const p of running) p.child.kill('SIGKILL');
  await Promise.allSettled(running.map((p) => p.child));
  await pg?.stop();
  await ws?.remove();
});

/** A config on a catalog database (and so a queue) of its own, with one job `app` whose source is `source`. */
async function fleetConfig(file: string, source: string): Promise<string> {
  const name = `catalog_${++catalogs}`;
  await server().createDatabase(name);
  await mkdir(join(workspace().dir, `dest-${name}`));
  const s = server();
  await writeFile(
    join(workspace().dir, file),
    `catalog: postgres://${s.user}:\${PGPASS_TEST}@${s.host}:${s.port}/${name}
fleet: { heartbeat: 10s }
destinations:
  a: { type: local, path: ./dest-${name}/a, fsync: false }
  b: { type: local, path: ./dest-${name}/b, media: usb, fsync: false }
policy: { copies: 2, media: 2, offsite: 0 }
workDir: ./work
jobs:
  app:
    source: ${source}
    destinations: [a, b]
    verify: { deep: 7d, restoreTest: 30d }
`,
  );
  return name;
}

function start(file: string, args: readonly string[]): Running {
  const p = startLogged(['--config', file, ...args], opts());
  running.push(p);
  return p;
}

async function stopAll(processes: readonly Running[]): Promise<void> {
  for (const p of processes) p.child.kill('SIGTERM');
  for (const p of processes) expect((await p.child).exitCode, p.log.join('\n')).toBe(0);
}

/** The non-backup verifications recorded, as `level:destination:status`. */
async function checks(database: string): Promise<string[]> {
  const out = await server().sql(
    database,
    "SELECT level || ':' || COALESCE(destination, '') || ':' || status FROM tricopy.verifications WHERE level <> 'backup' ORDER BY id",
  );
  return out.split('\n').filter(Boolean);
}

/** Makes the job's backups look eight days old: their copies are then past the 7d window. */
const ageBackups = (database: string) =>
  server().sql(
    database,
    `UPDATE tricopy.backups SET finished_at = '${new Date(Date.now() - 8 * 86_400_000).toISOString()}'`,
  );

/** The most verification ticks queued in any one hour slot (a test that crosses an hour may see two slots). */
const ticksPerSlot = async (database: string) =>
  Number(
    await server().sql(
      database,
      "SELECT max(n) FROM (SELECT count(*) AS n FROM tricopy_queue.job WHERE name = 'tricopy-verify' GROUP BY singleton_on) s",
    ),
  );

describe('fleet: rotating verification', () => {
  it('two daemons queue one tick; a worker re-hashes the overdue copies and restore-tests, seen in list and metrics', {
    timeout: 180_000,
  }, async () => {
    const db = await fleetConfig('rotation.yaml', '{ type: sqlite, path: ./app.db }');
    const worker = start('rotation.yaml', ['worker']);
    const backup = await tricopyJson<{ status: string }>(
      ['--config', 'rotation.yaml', 'enqueue', '--wait'],
      opts(),
    );
    expect(backup.code, JSON.stringify(backup.json)).toBe(0);
    await ageBackups(db);
    const daemons = [start('rotation.yaml', ['daemon']), start('rotation.yaml', ['daemon'])];
    await until(
      'the restore test is recorded',
      async () => (await checks(db)).some((c) => c.startsWith('restore-test:')),
      120_000,
    );
    // Both daemons are up and have queued (or tried to queue) their first tick.
    await until('both daemons scheduled the verification', () =>
      daemons.every((d) => d.log.some((l) => l.includes('"event":"verify-scheduled"'))),
    );
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect((await checks(db)).sort()).toEqual(['deep:a:ok', 'deep:b:ok', 'restore-test:a:ok']);
    // One tick per hour slot however many daemons; a second slot's tick (across an hour) finds nothing due.
    expect(await ticksPerSlot(db)).toBe(1);

    const list = await tricopyJson<ListJson>(['--config', 'rotation.yaml', 'list'], opts());
    expect(list.code, list.stderr).toBe(0);
    const copies = list.json.backups[0]?.copies ?? [];
    expect(copies.map((c) => c.destination).sort()).toEqual(['a', 'b']);
    for (const copy of copies) expect(copy.lastDeepVerifiedAt, copy.destination).not.toBeNull();
    const metrics = await tricopy(['--config', 'rotation.yaml', 'metrics'], opts());
    expect(metrics.code, metrics.stderr).toBe(0);
    const at = (level: string) =>
      sample(metrics.stdout, `tricopy_backup_last_verified_timestamp_seconds{job="app",level="${level}"}`);
    for (const level of ['deep', 'restore-test']) {
      expect(at(level), level).toBeGreaterThan(Date.now() / 1000 - 300);
    }
    await stopAll([...daemons, worker]);
    expect(worker.log.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('a tick that finds the job backing up skips it (logged, not failed) and records nothing of it', {
    timeout: 180_000,
  }, async () => {
    const s = server();
    const db = await fleetConfig(
      'busy.yaml',
      `{ type: postgres, host: ${s.host}, port: ${s.port}, user: ${s.user}, password: "\${PGPASS_TEST}", database: src, pgDumpPath: ./pg_dump }`,
    );
    const worker = start('busy.yaml', ['worker', '--concurrency', '2']);
    const first = await tricopyJson<{ status: string }>(
      ['--config', 'busy.yaml', 'enqueue', '--wait'],
      opts(),
    );
    expect(first.code, JSON.stringify(first.json)).toBe(0);
    await ageBackups(db);
    await writeFile(holdFile(), '');
    const second = await tricopy(['--config', 'busy.yaml', 'enqueue'], opts());
    expect(second.code, second.stderr).toBe(0);
    await until(
      'the second backup is running',
      () => worker.log.filter((l) => l.includes('"event":"job-start"')).length === 2,
    );
    const daemon = start('busy.yaml', ['daemon']);
    await until('the tick skipped the job', () =>
      worker.log.some((l) => l.includes('job app: rotating verification skipped this time')),
    );
    await rm(holdFile());
    const list = () => tricopyJson<ListJson>(['--config', 'busy.yaml', 'list'], opts());
    await until('the second backup is done', async () =>
      (await list()).json.backups.every((b) => b.status !== 'running'),
    );
    expect(await checks(db)).toEqual([]);
    const backups = (await list()).json.backups;
    expect(backups.map((b) => b.status)).toEqual(['ok', 'ok']);
    for (const b of backups) expect(b.copies.map((c) => c.status)).toEqual(['verified', 'verified']);
    expect(worker.log.filter((l) => l.includes('"level":50'))).toEqual([]);
    await stopAll([daemon, worker]);
  });
});
