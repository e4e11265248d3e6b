// Point-in-time restore from the command line, end to end on a real server: a base backup, WAL archived by
// `tricopy wal`, rows written before and after a moment T; `restore --time T --to DIR` started with pg_ctl has
// exactly the rows before T; check and verify judge the WAL; verify --restore-test replays to a restore point.
// PostgreSQL refuses root: every tricopy and PostgreSQL command runs as the postgres OS user.
import { chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type CliResult, makeWorkspace, type Workspace } from './cli.js';
import { postgresSource } from './server-configs.js';

const AS_ROOT = process.getuid?.() === 0;
let pg: PostgresServer;
let ws: Workspace;
let archiver: ResultPromise | undefined;
let postgresIds: { uid: number; gid: number };

/** `command args` as the postgres OS user (when the suite runs as root). */
function asPostgres(command: string, args: readonly string[], env: Record<string, string> = {}) {
  const [file, argv] = AS_ROOT
    ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
    : [command, [...args]];
  return execa(file, argv, {
    cwd: ws.dir,
    env: { PATH: process.env.PATH ?? '', HOME: '/var/lib/postgresql', PGPASS_TEST: pg.password, ...env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
}

async function tricopy(...args: string[]): Promise<CliResult> {
  const result = await asPostgres(process.execPath, [CLI, ...args]);
  return { code: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Polls `probe` until it gives a value (not undefined), or fails after `ms` naming `what`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const utcNow = "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'";

beforeAll(async () => {
  [pg, ws] = await Promise.all([startPostgres(), makeWorkspace('restore-pitr')]);
  const ids = (await execa('id', ['-u', 'postgres'])).stdout;
  postgresIds = { uid: Number(ids), gid: Number((await execa('id', ['-g', 'postgres'])).stdout) };
  await mkdir(join(ws.dir, 'dest'));
  if (AS_ROOT)
    for (const path of [ws.dir, join(ws.dir, 'dest')]) await chown(path, postgresIds.uid, postgresIds.gid);
  await pg.createDatabase('shop');
  await pg.sql('shop', 'CREATE TABLE events (name text, at timestamptz DEFAULT clock_timestamp())');
  // A workDir of its own: the archiver's spool (kept between runs, by job name) must not be another run's.
  await ws.writeConfig(`
workDir: ./work
destinations:
  primary: { type: local, path: ./dest/primary }
  second: { type: local, path: ./dest/second }
jobs:
  pg:
    source:
${postgresSource(pg, 'shop', { settings: { binDir: pg.binDir, mode: 'base', wal: 'true' } })}
    destinations: [primary, second]
`);
  if (AS_ROOT) await chown(join(ws.dir, 'tricopy.yaml'), postgresIds.uid, postgresIds.gid);
}, 60_000);

afterAll(async () => {
  archiver?.kill('SIGTERM');
  await archiver;
  await pg?.stop();
  await ws?.remove();
}, 60_000);

/** Starts a restored data directory on a private socket, waits until it is promoted, returns its rows. */
async function startedRows(dir: string): Promise<{ rows: string[]; stop: () => Promise<unknown> }> {
  const socketDir = join(ws.dir, `sock-${await freePort()}`);
  await mkdir(socketDir, { mode: 0o700 });
  if (AS_ROOT) await chown(socketDir, postgresIds.uid, postgresIds.gid);
  const port = String(await freePort());
  const pgCtl = join(pg.binDir, 'pg_ctl');
  const options = `-c listen_addresses='' -k ${socketDir} -p ${port} -c archive_mode=off`;
  const started = await asPostgres(pgCtl, [
    '-D',
    dir,
    '-l',
    `${dir}.log`,
    '-w',
    '-t',
    '120',
    '-o',
    options,
    'start',
  ]);
  expect(started.exitCode, `${started.stdout}${started.stderr}`).toBe(0);
  const psql = (sql: string) =>
    asPostgres(join(pg.binDir, 'psql'), ['-h', socketDir, '-p', port, '-d', 'shop', '-Atc', sql]);
  await until('the restored server to be promoted', async () =>
    (await psql('SELECT pg_is_in_recovery()')).stdout === 'f' ? true : undefined,
  );
  const rows = String((await psql('SELECT name FROM events ORDER BY at')).stdout)
    .split('\n')
    .filter(Boolean);
  return { rows, stop: () => asPostgres(pgCtl, ['-D', dir, '-m', 'fast', 'stop']) };
}

describe('restore --time of a PostgreSQL job with WAL', () => {
  let target = '';

  it('archives WAL and shows the recovery window', async () => {
    archiver = asPostgres(process.execPath, [CLI, 'wal', 'pg']);
    const backup = await tricopy('backup', 'pg');
    expect(backup.code, backup.stderr).toBe(0);
    await pg.sql('shop', "INSERT INTO events (name) VALUES ('before')");
    target = (await pg.sql('shop', `SELECT pg_sleep(0.3); SELECT ${utcNow}`))
      .trim()
      .split('\n')
      .at(-1) as string;
    await pg.sql('shop', "SELECT pg_sleep(0.3); INSERT INTO events (name) VALUES ('after')");
    const afterAt = Date.now();
    await pg.sql('postgres', 'SELECT pg_switch_wal()');
    // The window reaches past the second write once its segment is stored on both destinations.
    const window = await until('WAL past the second write', async () => {
      const listed = await tricopy('list', '--json');
      const recovery = (JSON.parse(listed.stdout) as { recovery: { latest: string | null }[] }).recovery[0];
      if (recovery?.latest !== null && recovery !== undefined && Date.parse(recovery.latest) > afterAt)
        return recovery;
      await pg.sql('postgres', "SELECT pg_switch_wal() WHERE pg_current_wal_lsn() <> '0/0'");
      return undefined;
    });
    expect(window).toMatchObject({ job: 'pg', walStale: false });
    const listed = await tricopy('list');
    expect(listed.stdout).toMatch(
      /^PITR pg: recoverable \S+ \S+\+00 \.\. \S+ \S+\+00 \(restore --time T --to DIR\)$/m,
    );
  }, 180_000);

  it('restores to the moment between the two writes: exactly the row written before it', async () => {
    const restored = await tricopy('restore', '--job', 'pg', '--time', target, '--to', 'at-t');
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`recovery: to ${target.replace('+00', '+00:00')}`);
    expect(restored.stdout).toContain("next: start it as the data directory's owner: pg_ctl -D");
    const server = await startedRows(join(ws.dir, 'at-t'));
    try {
      expect(server.rows).toEqual(['before']);
    } finally {
      await server.stop();
    }
  }, 180_000);

  it('--latest replays every stored WAL file: both rows', async () => {
    const restored = await tricopy('restore', '--job', 'pg', '--latest', '--to', 'latest');
    expect(restored.code, restored.stderr).toBe(0);
    const server = await startedRows(join(ws.dir, 'latest'));
    try {
      expect(server.rows).toEqual(['before', 'after']);
    } finally {
      await server.stop();
    }
  }, 180_000);

  it('a time before the window is refused naming the window', async () => {
    const result = await tricopy(
      'restore',
      '--job',
      'pg',
      '--time',
      '2001-01-01 00:00:00+00',
      '--to',
      'never',
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /--time 2001-01-01 00:00:00\+00:00 is before job pg's recovery window \(\S+ \.\. \S+\): choose a time inside it/,
    );
  });

  it('check and verify --deep find the WAL continuous on both destinations', async () => {
    const checked = await tricopy('check', 'pg');
    expect(checked.stdout).toMatch(/^WAL job pg: ok, \d+ segment\(s\) \S+ \.\. \S+ on every destination$/m);
    const verified = await tricopy('verify', '--job', 'pg', '--latest', '--deep');
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^WAL job pg: \d+ copies checked \(re-hashed\), all ok$/m);
  }, 120_000);

  it('verify --restore-test replays the WAL to a restore point made on the source and compares its row counts', async () => {
    await pg.sql('shop', "INSERT INTO events (name) VALUES ('counted')");
    const tested = await tricopy('verify', '--job', 'pg', '--latest', '--restore-test');
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(
      /restore test of \S+ \(pg\) from \S+: ok, \d+ tables compared; WAL replayed to restore point tricopy-restore-test-\S+, made on the source with its row counts/,
    );
    const listed = JSON.parse(
      (await tricopy('verify', '--job', 'pg', '--latest', '--restore-test', '--json')).stdout,
    );
    const events = listed.restoreTests[0].tables.find((t: { name: string }) => t.name === 'public.events');
    expect(events).toEqual({ name: 'public.events', expected: 3, actual: 3, exact: true });
  }, 300_000);
});
