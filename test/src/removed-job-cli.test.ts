import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';

interface ListJson {
  backups: { backupId: string; job: string; state: string }[];
}

const destinations = `
destinations:
  primary: { type: local, path: ./dest/primary, fsync: false }
  usb: { type: local, path: ./dest/usb, media: removable, fsync: false }
`;
const keptJob = `
  kept:
    source: { type: sqlite, path: ./kept.db }
    destinations: [primary]
`;

/** A job is removed from the config: its backups can still be restored and, on request, pruned. */
describe('backups of a job removed from the config', () => {
  let ws: Workspace;
  const ids: string[] = [];

  beforeAll(async () => {
    ws = await makeWorkspace('removed-job');
    await mkdir(join(ws.dir, 'dest'));
    await copyFile(join(FIXTURES, 'chinook/Chinook_Sqlite.sqlite'), join(ws.dir, 'old.db'));
    await copyFile(join(FIXTURES, 'chinook/Chinook_Sqlite.sqlite'), join(ws.dir, 'kept.db'));
    await ws.writeConfig(
      `${destinations}jobs:\n  old:\n    source: { type: sqlite, path: ./old.db }\n    destinations: [primary, usb]\n${keptJob}`,
    );
    for (let i = 0; i < 3; i++) {
      const backup = await tricopyJson<{ runs: { backupId: string }[] }>(['backup', 'old'], { cwd: ws.dir });
      expect(backup.code, backup.stderr).toBe(0);
      ids.push(backup.json.runs[0]?.backupId as string);
    }
    expect((await tricopy(['backup', 'kept'], { cwd: ws.dir })).code).toBe(0);
    await ws.writeConfig(`${destinations}jobs:${keptJob}`);
  }, 120_000);
  afterAll(() => ws.remove());

  it('restore ID --to PATH works from the catalog alone: a SQLite job needs no --source-option', async () => {
    const target = join(ws.dir, 'restored.db');
    const restored = await tricopy(['restore', ids[0] as string, '--to', target], { cwd: ws.dir });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`restored backup ${ids[0]} (old,`);
    const db = new Database(target, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM Track').get()).toEqual({ n: 3503 });
    db.close();

    const withOption = await tricopy(
      ['restore', ids[0] as string, '--to', join(ws.dir, 'r2.db'), '--source-option', 'path=./old.db'],
      { cwd: ws.dir },
    );
    expect(withOption.code, withOption.stderr).toBe(0);

    const latest = await tricopyJson<{ backupId: string }>(
      ['restore', '--latest', '--job', 'old', '--to', join(ws.dir, 'latest.db'), '--source-option', 'path=x'],
      { cwd: ws.dir },
    );
    expect(latest.code, latest.stderr).toBe(0);
    expect(latest.json.backupId).toBe(ids[2]);

    const notRemoved = await tricopy(
      ['restore', '--latest', '--job', 'kept', '--to', join(ws.dir, 'k.db'), '--source-option', 'path=x'],
      { cwd: ws.dir },
    );
    expect(notRemoved.code).toBe(2);
    expect(notRemoved.stderr).toContain('--source-option is only for jobs removed from the config');
  });

  it('prune --orphaned keeps the newest backup of a removed job on each destination and removes the rest', async () => {
    const dry = await tricopy(['prune', '--orphaned', '--dry-run'], { cwd: ws.dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('job old on primary: keep 1, would remove 2');
    expect(dry.stdout).toContain('job old on usb: keep 1, would remove 2');
    expect(dry.stdout).not.toContain('job kept');

    const pruned = await tricopy(['prune', '--job', 'old'], { cwd: ws.dir });
    expect(pruned.code, pruned.stderr).toBe(0);
    const list = await tricopyJson<ListJson>(['list', '--job', 'old'], { cwd: ws.dir });
    expect(list.code, list.stderr).toBe(0);
    expect(list.json.backups.map((b) => [b.backupId, b.state])).toEqual([
      [ids[2], 'ok'],
      [ids[1], 'pruned'],
      [ids[0], 'pruned'],
    ]);
    const again = await tricopy(['prune', '--orphaned', '--job', 'kept'], { cwd: ws.dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--orphaned: job kept is still in the config');
  });
});

describe('a PostgreSQL backup of a removed job, connection options on the command line', () => {
  let ws: Workspace;
  let pg: PostgresServer;
  let backupId: string;
  const env = () => ({ PGPASS_OLD: pg.password });

  beforeAll(async () => {
    [pg, ws] = await Promise.all([startPostgres(), makeWorkspace('removed-pg')]);
    await mkdir(join(ws.dir, 'dest'));
    await pg.sql('postgres', 'CREATE DATABASE app');
    await pg.sql('app', 'CREATE TABLE t AS SELECT g AS n FROM generate_series(1, 250) g');
    const job = `  olddb:
    source: { type: postgres, host: 127.0.0.1, port: ${pg.port}, user: ${pg.user}, database: app, password: "\${PGPASS_OLD}" }
    destinations: [primary]`;
    await ws.writeConfig(`${destinations}jobs:\n${job}\n${keptJob}`);
    const backup = await tricopyJson<{ runs: { backupId: string }[] }>(['backup', 'olddb'], {
      cwd: ws.dir,
      env: env(),
    });
    expect(backup.code, backup.stderr).toBe(0);
    backupId = backup.json.runs[0]?.backupId as string;
    await ws.writeConfig(`${destinations}jobs:${keptJob}`);
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled([pg?.stop(), ws?.remove()]);
  });

  it('says which source options are missing', async () => {
    const missing = await tricopy(['restore', backupId, '--to-database', 'x'], { cwd: ws.dir, env: env() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      'job "olddb" is no longer in the config: give its postgres source options',
    );
    expect(missing.stderr).toContain('--source-option KEY=VALUE');
  });

  it('restores into a new database; the password comes from ${VAR}, never from argv, and is never shown', async () => {
    const result = await tricopy(
      [
        'restore',
        backupId,
        '--to-database',
        'app_restored',
        '--create-database',
        '--source-option',
        'host=127.0.0.1',
        '--source-option',
        `port=${pg.port}`,
        '--source-option',
        `user=${pg.user}`,
        '--source-option',
        'database=app',
        '--source-option',
        'password=${PGPASS_OLD}',
      ],
      { cwd: ws.dir, env: env() },
    );
    expect(result.code, result.stderr).toBe(0);
    expect((await pg.sql('app_restored', 'SELECT count(*) FROM t')).trim()).toBe('250');
    expect(result.stdout + result.stderr).not.toContain(pg.password);
  });
});
