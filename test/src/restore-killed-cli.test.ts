// `tricopy restore --force` into an existing PostgreSQL / MariaDB database, stopped while the restore tool is half
// way through the data: by SIGTERM (the CLI cleans up) and by SIGKILL of its whole process group (nothing cleans
// up). Either way the old database must be exactly as it was, and the next restore drops what the killed one left.
import { existsSync } from 'node:fs';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type MariadbServer, type PostgresServer, startMariadb, startPostgres } from '@tricopy/test-servers';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, makeWorkspace, tricopy, type Workspace } from './cli.js';
import { postgresSource } from './server-configs.js';
import { hasStackTrace } from './sources-env.js';

let pg: PostgresServer;
let maria: MariadbServer;
let ws: Workspace;
let env: Record<string, string>;

const ROWS = 60_000; // about 8 MB of dump: 200 kB into it the tool is in the middle of the data

/**
 * A restore tool that, while `<dir>/hold-<name>` exists, gets the first 200 kB of its input, announces itself in
 * `<dir>/started-<name>` and waits; the real tool replaces the script (exec), so signals reach it.
 */
async function holdingTool(name: string, real: string): Promise<string> {
  const hold = join(ws.dir, `hold-${name}`);
  const started = join(ws.dir, `started-${name}`);
  const fifo = join(ws.dir, `fifo-${name}`);
  const script = join(ws.dir, `holding-${name}`);
  await writeFile(
    script,
    [
      '#!/bin/sh',
      `case " $* " in *" --version "*) exec ${real} "$@" ;; esac`,
      `[ -f '${hold}' ] || exec ${real} "$@"`,
      `rm -f '${fifo}'; mkfifo '${fifo}'`,
      // fd 3: a background list's own stdin would be /dev/null. The feeder ends with the tool ($$ is its pid).
      'exec 3<&0',
      `{ head -c 200000 <&3; touch '${started}'; while [ -f '${hold}' ] && kill -0 $$ 2>/dev/null; do sleep 0.05; done;`,
      `  kill -0 $$ 2>/dev/null && cat <&3; } > '${fifo}' &`,
      `exec ${real} "$@" < '${fifo}'`,
      '',
    ].join('\n'),
  );
  await chmod(script, 0o755);
  return script;
}

beforeAll(async () => {
  [pg, maria, ws] = await Promise.all([startPostgres(), startMariadb(), makeWorkspace('restore-killed')]);
  env = { PGPASS: pg.password, MYSQL_PASS: maria.password };
  await pg.createDatabase('big');
  await pg.sql(
    'big',
    `CREATE TABLE payload (id int PRIMARY KEY, body text NOT NULL);
     INSERT INTO payload SELECT g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) || md5((g * 31)::text)
       FROM generate_series(1, ${ROWS}) g;`,
  );
  await maria.sql('CREATE DATABASE big');
  await maria.sql(
    `CREATE TABLE payload (id INT PRIMARY KEY, body TEXT NOT NULL);
     INSERT INTO payload SELECT seq, CONCAT(MD5(seq), MD5(seq * 7), MD5(seq * 13), MD5(seq * 31))
       FROM seq_1_to_${ROWS};`,
    'big',
  );
  const pgRestore = await holdingTool('pg', join(pg.binDir, 'pg_restore'));
  const client = await holdingTool('mysql', '/usr/bin/mariadb');
  await ws.writeConfig(`
destinations:
  disk: { type: local, path: ./dest }
jobs:
  pg:
    source:
${postgresSource(pg, 'big', { passwordVar: 'PGPASS', settings: { binDir: pg.binDir, pgRestorePath: pgRestore } })}
    destinations: [disk]
  mysql:
    source:
      type: mysql
      host: ${maria.host}
      port: ${maria.port}
      user: ${maria.user}
      password: \${MYSQL_PASS}
      database: big
      clientBinary: ${client}
    destinations: [disk]
workDir: ./work
`);
  await execa('mkdir', [join(ws.dir, 'dest')]);
  const backup = await tricopy(['backup'], { cwd: ws.dir, env });
  expect(backup.code, backup.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await Promise.allSettled([pg?.stop(), maria?.stop()]);
  await ws?.remove();
});

interface Engine {
  readonly job: 'pg' | 'mysql';
  /** Makes `name` a database holding one table with one row of old data. */
  createOld(name: string): Promise<void>;
  /** Every row of every table of `name`, as text; undefined when the database does not exist. */
  content(name: string): Promise<string | undefined>;
  /** The databases whose name starts with `tricopy_restore_`. */
  restoreDatabases(): Promise<string[]>;
}

const postgres: Engine = {
  job: 'pg',
  async createOld(name) {
    await pg.sql('postgres', `DROP DATABASE IF EXISTS ${name}`);
    await pg.createDatabase(name);
    await pg.sql(name, "CREATE TABLE keep_me (x text); INSERT INTO keep_me VALUES ('old data');");
  },
  async content(name) {
    const exists = await pg.sql('postgres', `SELECT count(*) FROM pg_database WHERE datname = '${name}'`);
    if (exists.trim() === '0') return undefined;
    return pg.sql(
      name,
      `SELECT string_agg(format('%s: %s rows', table_name,
                (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', table_name), false, true, '')))[1]::text), ', ' ORDER BY table_name)
         FROM information_schema.tables WHERE table_schema = 'public'`,
    );
  },
  async restoreDatabases() {
    const out = await pg.sql(
      'postgres',
      "SELECT datname FROM pg_database WHERE datname LIKE 'tricopy\\_restore\\_%'",
    );
    return out.split('\n').filter(Boolean);
  },
};

const mariadb: Engine = {
  job: 'mysql',
  async createOld(name) {
    await maria.sql(
      `DROP DATABASE IF EXISTS ${name}; CREATE DATABASE ${name};
       CREATE TABLE ${name}.keep_me (x TEXT); INSERT INTO ${name}.keep_me VALUES ('old data');`,
    );
  },
  async content(name) {
    const exists = await maria.sql(`SHOW DATABASES LIKE '${name}'`);
    if (exists.trim() === '') return undefined;
    const tables = (await maria.sql('SHOW TABLES', name)).split('\n').filter(Boolean).sort();
    const counts: string[] = [];
    for (const table of tables)
      counts.push(`${table}: ${await maria.sql(`SELECT COUNT(*) FROM ${table}`, name)} rows`);
    return counts.join(', ');
  },
  async restoreDatabases() {
    return (await maria.sql("SHOW DATABASES LIKE 'tricopy\\_restore\\_%'")).split('\n').filter(Boolean);
  },
};

const OLD = 'keep_me: 1 rows';
const NEW = `payload: ${ROWS} rows`;

/** `restore --force` of the job's latest backup into `target`, in its own process group. */
function startRestore(engine: Engine, target: string): ResultPromise {
  return execa(
    process.execPath,
    [CLI, 'restore', '--latest', '--job', engine.job, '--to-database', target, '--force'],
    {
      cwd: ws.dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      detached: true,
    },
  );
}

/** Starts the restore with its tool held 200 kB into the data; resolves once the tool is there. */
async function restoreHeld(engine: Engine, target: string): Promise<{ child: ResultPromise }> {
  const hold = join(ws.dir, `hold-${engine.job}`);
  const started = join(ws.dir, `started-${engine.job}`);
  await rm(started, { force: true });
  await writeFile(hold, '');
  const child = startRestore(engine, target);
  let ended = false;
  child.then(() => {
    ended = true;
  });
  const deadline = Date.now() + 120_000;
  while (!existsSync(started)) {
    if (ended || Date.now() > deadline) {
      child.kill('SIGKILL');
      const result = await child;
      throw new Error(`the restore tool never started (exit ${result.exitCode}):\n${result.stderr}`);
    }
    await sleep(20);
  }
  // Wrapped: an async function returning the subprocess (a thenable) would wait for it to end.
  return { child };
}

async function release(engine: Engine): Promise<void> {
  await rm(join(ws.dir, `hold-${engine.job}`), { force: true });
}

describe.each([postgres, mariadb])('restore --force into an existing $job database', (engine) => {
  it('SIGTERM while the restore tool is half way: the old database stays as it was, nothing is left', async () => {
    await engine.createOld('term_target');
    const { child } = await restoreHeld(engine, 'term_target');
    try {
      expect(await engine.restoreDatabases()).toHaveLength(1); // the restore is under way in its own database
      process.kill(child.pid as number, 'SIGTERM');
      const result = await child;
      expect(result.exitCode).not.toBe(0);
      expect(String(result.stderr)).toMatch(/restore into "term_target" was cancelled/);
      expect(hasStackTrace(String(result.stderr))).toBe(false);
    } finally {
      await release(engine);
    }
    expect(await engine.content('term_target')).toBe(OLD);
    expect(await engine.restoreDatabases()).toEqual([]);
  });

  it('SIGKILL of the whole process group half way: the old database stays; the next restore cleans up and says so', async () => {
    await engine.createOld('kill_target');
    const { child } = await restoreHeld(engine, 'kill_target');
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
      expect((await child).signal).toBe('SIGKILL');
    } finally {
      await release(engine);
    }
    expect(await engine.content('kill_target')).toBe(OLD);
    const left = await engine.restoreDatabases();
    expect(left).toHaveLength(1);

    const next = await startRestore(engine, 'kill_target');
    expect(next.exitCode, String(next.stderr)).toBe(0);
    expect(String(next.stderr)).toContain(`dropped database ${left[0]}, left by a restore that was killed`);
    expect(await engine.content('kill_target')).toBe(NEW);
    expect(await engine.restoreDatabases()).toEqual([]);
  });
});
