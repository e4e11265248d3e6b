// Fleet mode through the real CLI: a PostgreSQL catalog and queue, several `tricopy worker` processes, a dozen jobs
// queued twice over, and one worker SIGKILLed in the middle of a backup.
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';
import { type Running, startLogged, until } from './fleet-cli.js';
import { makeSqliteDatabase } from './fleet-env.js';
import { postgresSource } from './server-configs.js';

interface ListJson {
  backups: {
    backupId: string;
    job: string;
    status: string;
    startedAt: string;
    finishedAt: string | null;
    error: string | null;
  }[];
}
interface EnqueueJson {
  status: string;
  runs: {
    job: string;
    id: string;
    queued: boolean;
    state: string;
    output?: { status: string; worker: string };
  }[];
}

const SMALL_JOBS = Array.from({ length: 11 }, (_, i) => `small-${String(i + 1).padStart(2, '0')}`);
const JOBS = ['slow', ...SMALL_JOBS];
const DESTINATIONS = ['disk-a', 'disk-b'];

let pg: PostgresServer | undefined;
let ws: Workspace | undefined;
let holdFile = '';
const workers: Running[] = [];

const workspace = () => ws as Workspace;
const env = () => ({ PGPASS_TEST: (pg as PostgresServer).password });
const run = () => ({ cwd: workspace().dir, env: env() });

beforeAll(async () => {
  const [server, w] = await Promise.all([startPostgres(), makeWorkspace('fleet')]);
  pg = server;
  ws = w;
  await Promise.all([pg.createDatabase('catalog'), pg.createDatabase('slowdb')]);
  await pg.sql(
    'slowdb',
    'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 1000);',
  );
  for (const job of SMALL_JOBS) makeSqliteDatabase(join(ws.dir, `${job}.db`));
  holdFile = join(ws.dir, 'hold');
  // While the hold file exists, pg_dump sends its dump and then keeps the stream open: a backup in progress.
  const wrapper = join(ws.dir, 'pg_dump');
  const real = join(pg.binDir, 'pg_dump');
  await writeFile(
    wrapper,
    [
      '#!/bin/sh',
      `case " $* " in *" --version "*) exec ${real} "$@" ;; esac`,
      `[ -f '${holdFile}' ] || exec ${real} "$@"`,
      `${real} "$@"`,
      `while [ -f '${holdFile}' ]; do sleep 0.05; done`,
      'exit 1',
      '',
    ].join('\n'),
  );
  await chmod(wrapper, 0o755);
  await mkdir(join(ws.dir, 'dest'));
  const small = SMALL_JOBS.map(
    (job) =>
      `  ${job}:\n    source: { type: sqlite, path: ./${job}.db }\n    destinations: [${DESTINATIONS.join(', ')}]\n`,
  ).join('');
  await ws.writeConfig(`
catalog: postgres://${pg.user}:\${PGPASS_TEST}@${pg.host}:${pg.port}/catalog
fleet: { heartbeat: 10s }
destinations:
  disk-a: { type: local, path: ./dest/disk-a }
  disk-b: { type: local, path: ./dest/disk-b, media: usb }
jobs:
  slow:
    source:
${postgresSource(pg, 'slowdb', { settings: { pgDumpPath: './pg_dump' } })}
    destinations: [${DESTINATIONS.join(', ')}]
${small}workDir: ./work
policy: { copies: 2, media: 2, offsite: 0 }
`);
}, 120_000);

afterAll(async () => {
  await rm(holdFile, { force: true }).catch(() => undefined);
  for (const w of workers) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.child));
  await pg?.stop();
  await ws?.remove();
});

function startWorker(): Running {
  const worker = startLogged(['worker', '--concurrency', '2'], run());
  workers.push(worker);
  return worker;
}

const started = (log: readonly string[], job: string) =>
  log.some((line) => line.includes('"event":"job-start"') && line.includes(`"job":"${job}"`));

describe('fleet: workers on a PostgreSQL catalog and queue', () => {
  it('a dozen jobs queued twice, a worker killed mid-backup: every job ends with one good backup, no overlap', {
    timeout: 240_000,
  }, async () => {
    await writeFile(holdFile, '');
    const fleet = [startWorker(), startWorker(), startWorker()];
    const first = await tricopyJson<{ runs: { job: string; queued: boolean }[] }>(['enqueue'], run());
    expect(first.code, first.stderr).toBe(0);
    expect(first.json.runs.map((r) => r.job).sort()).toEqual([...JOBS].sort());
    const waiting = tricopyJson<EnqueueJson>(['enqueue', '--wait'], run());

    await until('a worker runs the slow job', () => fleet.some((w) => started(w.log, 'slow')), 60_000);
    const victim = fleet.find((w) => started(w.log, 'slow')) as (typeof fleet)[number];
    await until('the slow backup is recorded as running', async () => {
      const now = await tricopyJson<ListJson>(['list'], run());
      return now.json.backups.some((b) => b.job === 'slow' && b.status === 'running');
    });
    const killedAt = new Date().toISOString();
    victim.child.kill('SIGKILL');
    await victim.child;
    await rm(holdFile);

    const second = await waiting;
    expect(second.code, `${second.stdout}\n${second.stderr}`).toBe(0);
    expect(second.json.status).toBe('ok');
    expect(second.json.runs.map((r) => r.job).sort()).toEqual([...JOBS].sort());
    const slowRun = second.json.runs.find((r) => r.job === 'slow');
    expect(slowRun?.queued).toBe(false); // still queued or running from the first enqueue: not queued again

    const list = await tricopyJson<ListJson>(['list'], run());
    expect(list.code, list.stderr).toBe(0);
    for (const job of JOBS) {
      const backups = list.json.backups.filter((b) => b.job === job);
      expect(
        backups.some((b) => b.status === 'ok'),
        `job ${job} has a good backup`,
      ).toBe(true);
      expect(
        backups.filter((b) => b.status === 'running'),
        `job ${job}: nothing left running`,
      ).toEqual([]);
      // No two runs of a job at the same time: each starts after the one before it finished.
      const ordered = [...backups].sort((a, b) => (a.startedAt < b.startedAt ? -1 : 1));
      for (const [i, b] of ordered.entries()) {
        const next = ordered[i + 1];
        if (next !== undefined)
          expect(next.startedAt > (b.finishedAt ?? killedAt), `${job}: overlap`).toBe(true);
      }
    }
    const slow = list.json.backups.filter((b) => b.job === 'slow');
    const killed = slow.filter((b) => b.status === 'failed');
    expect(killed).toHaveLength(1);
    expect(killed[0]?.error).toMatch(/^interrupted/);
    expect((killed[0]?.startedAt ?? killedAt) < killedAt).toBe(true);

    // One dump per completed run: each good backup is one folder per destination with one artifact and its manifest.
    const good = list.json.backups.filter((b) => b.status === 'ok');
    for (const destination of DESTINATIONS) {
      for (const b of good) {
        const folder = join(workspace().dir, 'dest', destination, b.job, b.backupId);
        const files = (await readdir(folder)).sort();
        expect(
          files.filter((f) => f !== 'manifest.json'),
          `${folder}`,
        ).toHaveLength(1);
        const manifest = JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8')) as {
          dumps: number;
        };
        expect(manifest.dumps).toBe(1);
      }
    }

    // The shared catalog serves the other commands from anywhere.
    const verify = await tricopyJson<{ ok: boolean }>(['verify', '--latest'], run());
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.json.ok).toBe(true);
    const restore = await tricopyJson(
      ['restore', '--latest', '--job', 'small-01', '--to', './restored.db'],
      run(),
    );
    expect(restore.code, restore.stderr).toBe(0);
    const prune = await tricopyJson(['prune', '--dry-run'], run());
    expect(prune.code, prune.stderr).toBe(0);
    const metrics = await tricopy(['metrics'], run());
    expect(metrics.code, metrics.stderr).toBe(0);
    for (const job of JOBS) {
      expect(metrics.stdout).toMatch(
        new RegExp(`^tricopy_backup_last_success_timestamp_seconds\\{job="${job}"\\} \\d+`, 'm'),
      );
    }
    expect(metrics.stdout).toMatch(/^tricopy_runs_total\{job="slow",status="failed"\} [1-9]/m);

    const password = (pg as PostgresServer).password;
    for (const w of fleet) expect(w.log.join('\n')).not.toContain(password);
    expect(`${first.stdout}${first.stderr}${second.stdout}${second.stderr}`).not.toContain(password);

    const survivors = fleet.filter((w) => w !== victim);
    for (const w of survivors) w.child.kill('SIGTERM');
    for (const w of survivors) expect((await w.child).exitCode, w.log.join('\n')).toBe(0);
  });
});
