// A PostgreSQL source user without CREATEDB can back up, but restore tests (which create a scratch database) cannot:
// `check` says so, and `verify --restore-test` says what to grant, naming the source.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupJson, makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';
import { postgresSource } from './server-configs.js';

const GRANT = 'ALTER ROLE "backup_only" CREATEDB';
let pg: PostgresServer;
let ws: Workspace;
const run = () => ({ cwd: ws.dir, env: { PGPASS_BACKUP: 'backup-only-pw' } });

function job(name: string, verify: string): string {
  return `
  ${name}:
    source:
${postgresSource(pg, 'shop', { user: 'backup_only', passwordVar: 'PGPASS_BACKUP', settings: { binDir: pg.binDir } })}
    destinations: [primary]${verify}`;
}

beforeAll(async () => {
  [pg, ws] = await Promise.all([startPostgres(), makeWorkspace('restore-test-privilege')]);
  await mkdir(join(ws.dir, 'dest'));
  await pg.sql(
    'postgres',
    "CREATE ROLE backup_only LOGIN PASSWORD 'backup-only-pw'; CREATE DATABASE shop OWNER backup_only;",
  );
  await pg.sql('shop', 'SET ROLE backup_only; CREATE TABLE items (id int); INSERT INTO items VALUES (1);');
  await ws.writeConfig(`
destinations:
  primary: { type: local, path: ./dest/primary }
jobs:${job('tested', '\n    verify: { restoreTest: 7d }')}${job('untested', '')}
`);
}, 60_000);
afterAll(async () => {
  await pg?.stop();
  await ws?.remove();
});

describe('restore tests with a PostgreSQL user that lacks CREATEDB', () => {
  it('check warns for the job with restore tests and notes it for the other', async () => {
    const checked = await tricopy(['check'], run());
    expect(checked.stdout).toContain(
      `WARNING job tested: its restore tests (verify.restoreTest) will fail: user "backup_only" may not create databases (it lacks CREATEDB), and restore tests and restores create one: grant it with ${GRANT}`,
    );
    expect(checked.stdout).toContain(
      `note job untested: restores and restore tests will fail: user "backup_only"`,
    );
  });

  it('verify --restore-test says what to grant, naming the source and the copy', async () => {
    const backup = await tricopyJson<BackupJson>(['backup', 'tested'], run());
    expect(backup.code, backup.stderr).toBe(0);
    const verified = await tricopy(['verify', '--latest', '--job', 'tested', '--restore-test'], run());
    expect(verified.code).not.toBe(0);
    const output = verified.stdout + verified.stderr;
    expect(output).toMatch(
      /from primary: error: source "tested": cannot create the scratch database tricopy_restoretest_\S+ a restore test restores into: user "backup_only" may not create databases/,
    );
    expect(output).toContain(GRANT);
  });

  it('once granted, check is quiet about it and the restore test passes', async () => {
    await pg.sql('postgres', 'ALTER ROLE backup_only CREATEDB');
    const checked = await tricopy(['check'], run());
    expect(checked.stdout).not.toContain('CREATEDB');
    const verified = await tricopy(['verify', '--latest', '--job', 'tested', '--restore-test'], run());
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  });
});
