// Fleet mode's rules through the real CLI against a real PostgreSQL: stale configs are refused, fleet-wide limits
// hold, any number of daemons queue a scheduled run once, and fleet commands need a PostgreSQL catalog.
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';
import { type Running, startLogged, until } from './fleet-cli.js';
import { makeSqliteDatabase } from './fleet-env.js';
import { postgresSource } from './server-configs.js';

interface ListJson {
  backups: { backupId: string; job: string; status: string; startedAt: string; finishedAt: string | null }[];
}

let pg: PostgresServer | undefined;
let ws: Workspace | undefined;
let catalogs = 0;
const children: ResultPromise[] = [];

const server = () => pg as PostgresServer;
const workspace = () => ws as Workspace;
const opts = () => ({ cwd: workspace().dir, env: { PGPASS_TEST: server().password } });

beforeAll(async () => {
  [pg, ws] = await Promise.all([startPostgres(), makeWorkspace('fleet-rules')]);
  await pg.createDatabase('src');
  await pg.sql('src', 'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100);');
  makeSqliteDatabase(join(ws.dir, 'app.db'));
  // pg_dump that takes a second: runs that are not kept apart overlap.
  const real = join(pg.binDir, 'pg_dump');
  await writeFile(
    join(ws.dir, 'pg_dump'),
    `#!/bin/sh\ncase " $* " in *" --version "*) exec ${real} "$@" ;; esac\n${real} "$@" && sleep 1\n`,
  );
  await chmod(join(ws.dir, 'pg_dump'), 0o755);
  // pg_dump that holds its output open while the file `hold` exists: a backup in progress, for as long as needed.
  await writeFile(
    join(ws.dir, 'pg_dump_held'),
    `#!/bin/sh\ncase " $* " in *" --version "*) exec ${real} "$@" ;; esac\n${real} "$@"\nwhile [ -f '${join(ws.dir, 'hold')}' ]; do sleep 0.05; done\n`,
  );
  await chmod(join(ws.dir, 'pg_dump_held'), 0o755);
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children);
  await pg?.stop();
  await ws?.remove();
});

/** A config on a catalog database of its own; `extra` is appended at the top level. */
async function fleetConfig(file: string, jobs: string, extra = ''): Promise<string> {
  const name = `catalog_${++catalogs}`;
  await server().createDatabase(name);
  const s = server();
  const path = join(workspace().dir, file);
  await writeFile(
    path,
    `catalog: postgres://${s.user}:\${PGPASS_TEST}@${s.host}:${s.port}/${name}
fleet: { heartbeat: 10s }
destinations:
  disk: { type: local, path: ./dest-${name} }
policy: { copies: 1, media: 1, offsite: 0 }
workDir: ./work
jobs:
${jobs}${extra}`,
  );
  return path;
}

const pgJob = (name: string) => `  ${name}:
    source:
${postgresSource(server(), 'src', { settings: { pgDumpPath: './pg_dump' } })}
    destinations: [disk]
`;

function start(args: string[]): Running {
  const running = startLogged(args, opts());
  children.push(running.child);
  return running;
}

describe('fleet rules', () => {
  it('enqueue and worker need a PostgreSQL catalog (exit 2, naming the key)', async () => {
    await writeFile(
      join(workspace().dir, 'local.yaml'),
      'destinations:\n  disk: { type: local, path: ./d }\njobs:\n  app:\n    source: { type: sqlite, path: ./app.db }\n    destinations: [disk]\n',
    );
    for (const command of ['enqueue', 'worker']) {
      const result = await tricopy(['--config', 'local.yaml', command], opts());
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `tricopy ${command} needs a PostgreSQL catalog: set catalog: postgres://`,
      );
    }
  });

  it('a catalog database that cannot be reached: one line naming it and what to fix, no password (exit 1)', async () => {
    const s = server();
    await writeFile(
      join(workspace().dir, 'unreachable.yaml'),
      `catalog: postgres://${s.user}:\${PGPASS_TEST}@127.0.0.1:1/fleet\n` +
        'destinations:\n  disk: { type: local, path: ./d }\njobs:\n  app:\n    source: { type: sqlite, path: ./app.db }\n    destinations: [disk]\n',
    );
    for (const command of [['enqueue'], ['list'], ['enqueue', '--wait']]) {
      const result = await tricopy(['--config', 'unreachable.yaml', ...command], opts());
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(
        `tricopy: cannot open the catalog at postgres://${s.user}@127.0.0.1:1/fleet: connection refused (is PostgreSQL running there? check catalog: in the config)`,
      );
    }
  });

  it('a worker with another config refuses the run; a worker with the same config then runs it', {
    timeout: 120_000,
  }, async () => {
    const jobs = '  app:\n    source: { type: sqlite, path: ./app.db }\n    destinations: [disk]\n';
    const right = await fleetConfig('right.yaml', jobs);
    const text = await readFile(right, 'utf8');
    await writeFile(join(workspace().dir, 'stale.yaml'), `${text}# edited on one machine only\n`);
    const stale = start(['--config', 'stale.yaml', 'worker']);
    const waiting = tricopyJson<{ status: string; runs: { output?: { worker: string } }[] }>(
      ['--config', 'right.yaml', 'enqueue', '--wait'],
      opts(),
    );
    await until(
      'the stale worker refuses the run',
      () => stale.log.some((l) => l.includes('refused the run')),
      30_000,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${stale.log.join('\n')}`);
    });
    expect(stale.log.find((l) => l.includes('refused the run'))).toMatch(
      /refused the run of job \\?"app\\?": it was queued with config [0-9a-f]{12}, this worker has [0-9a-f]{12}/,
    );
    stale.child.kill('SIGTERM');
    expect((await stale.child).exitCode).toBe(0);
    const good = start(['--config', 'right.yaml', 'worker']);
    const done = await waiting;
    expect(done.code, done.stderr).toBe(0);
    expect(done.json.status).toBe('ok');
    // The waiting client said why the run had not started yet.
    expect(done.stderr).toMatch(
      /job app: still waiting, an attempt failed and will be retried: .* refused the run of job "app": it was queued with config [0-9a-f]{12}, this worker has [0-9a-f]{12}/,
    );
    good.child.kill('SIGTERM');
    expect((await good.child).exitCode).toBe(0);
  });

  it('fleet.maxRunsPerHost: 1 keeps runs against one database host apart, across workers', {
    timeout: 120_000,
  }, async () => {
    const config = await fleetConfig('limits.yaml', pgJob('h1') + pgJob('h2') + pgJob('h3'));
    const text = (await readFile(config, 'utf8')).replace(
      'fleet: { heartbeat: 10s }',
      'fleet: { heartbeat: 10s, maxRunsPerHost: 1 }',
    );
    await writeFile(config, text);
    const workers = [
      start(['--config', 'limits.yaml', 'worker', '--concurrency', '2']),
      start(['--config', 'limits.yaml', 'worker', '--concurrency', '2']),
    ];
    const done = await tricopyJson<{ status: string }>(
      ['--config', 'limits.yaml', 'enqueue', '--wait'],
      opts(),
    );
    expect(done.code, `${done.stdout}\n${workers.map((w) => w.log.join('\n')).join('\n')}`).toBe(0);
    const list = await tricopyJson<ListJson>(['--config', 'limits.yaml', 'list'], opts());
    const runs = list.json.backups
      .filter((b) => b.status === 'ok')
      .sort((a, b) => (a.startedAt < b.startedAt ? -1 : 1));
    expect(runs).toHaveLength(3);
    for (const [i, b] of runs.entries()) {
      const next = runs[i + 1];
      if (next !== undefined)
        expect(next.startedAt >= (b.finishedAt as string), 'one run at a time on the host').toBe(true);
    }
    expect(workers.some((w) => w.log.some((l) => l.includes('waiting for a free slot of host:')))).toBe(true);
    for (const w of workers) w.child.kill('SIGTERM');
    for (const w of workers) expect((await w.child).exitCode).toBe(0);
  });

  it('SIGTERM: a worker finishes its run before it exits; a second SIGTERM hands the run back to the queue', {
    timeout: 150_000,
  }, async () => {
    await fleetConfig('stop.yaml', pgJob('held').replace('./pg_dump', './pg_dump_held'));
    const hold = join(workspace().dir, 'hold');
    const list = async () =>
      (await tricopyJson<ListJson>(['--config', 'stop.yaml', 'list', '--all'], opts())).json;
    const running = async () => (await list()).backups.some((b) => b.status === 'running');

    await writeFile(hold, '');
    const first = start(['--config', 'stop.yaml', 'worker']);
    const finished = tricopyJson<{ status: string }>(['--config', 'stop.yaml', 'enqueue', '--wait'], opts());
    await until('the backup runs', running);
    let exited = false;
    void first.child.then(() => {
      exited = true;
    });
    first.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(exited, 'still finishing its run').toBe(false);
    await rm(hold);
    expect((await first.child).exitCode).toBe(0);
    expect((await finished).json.status).toBe('ok');

    await writeFile(hold, '');
    const second = start(['--config', 'stop.yaml', 'worker']);
    const handedBack = tricopyJson<{ status: string; runs: { output?: { worker: string } }[] }>(
      ['--config', 'stop.yaml', 'enqueue', '--wait'],
      opts(),
    );
    await until('the second backup runs', running);
    second.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    second.child.kill('SIGTERM');
    expect((await second.child).exitCode).toBe(0);
    const afterStop = (await list()).backups;
    expect(afterStop.filter((b) => b.status === 'running')).toEqual([]);
    expect(afterStop.filter((b) => b.status === 'failed')).toHaveLength(1);
    await rm(hold);
    const third = start(['--config', 'stop.yaml', 'worker']);
    const done = await handedBack;
    expect(done.json.status).toBe('ok');
    expect(done.json.runs[0]?.output?.worker).toContain(`pid ${third.child.pid} `);
    third.child.kill('SIGTERM');
    expect((await third.child).exitCode).toBe(0);
  });

  it('two daemons queue a scheduled run once; a worker runs it', { timeout: 150_000 }, async () => {
    await fleetConfig(
      'cron.yaml',
      '  app:\n    source: { type: sqlite, path: ./app.db }\n    destinations: [disk]\n    schedule: "* * * * *"\n',
    );
    const daemons = [start(['--config', 'cron.yaml', 'daemon']), start(['--config', 'cron.yaml', 'daemon'])];
    const worker = start(['--config', 'cron.yaml', 'worker']);
    const list = () => tricopyJson<ListJson>(['--config', 'cron.yaml', 'list', '--all'], opts());
    await until(
      'a scheduled backup is done',
      async () => (await list()).json.backups.some((b) => b.status === 'ok'),
      130_000,
    );
    const first = (await list()).json.backups;
    const minute = first[0]?.startedAt.slice(0, 16) as string;
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const inThatMinute = (await list()).json.backups.filter((b) => b.startedAt.slice(0, 16) === minute);
    expect(inThatMinute).toHaveLength(1);
    for (const p of [...daemons, worker]) p.child.kill('SIGTERM');
    for (const p of [...daemons, worker]) expect((await p.child).exitCode, p.log.join('\n')).toBe(0);
  });
});
