// A mixed fleet (PostgreSQL, MariaDB, SQLite) in one config, through the real CLI: backup, manifests, restores with
// their safety rules, restore tests, a failing job among good ones, and no password anywhere it could leak.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupJson, filesUnder } from './cli.js';
import {
  byChinookName,
  CHINOOK_COUNTS,
  fleetConfig,
  hasStackTrace,
  mysqlContent,
  mysqlCounts,
  mysqlDatabases,
  pgContent,
  pgCounts,
  pgDatabases,
  type SourcesEnv,
  startSourcesEnv,
} from './sources-env.js';

type Run = BackupJson['runs'][number];

interface ManifestJson {
  job: string;
  backupId: string;
  source: { type: string; engine: string; engineVersion: string; toolVersion?: string };
  artifact: { size: number; sha256: string; format: string };
  tables: { name: string; rows: number; exact: boolean }[];
}

interface RestoreTestJson {
  backupId: string;
  job: string;
  status: 'ok' | 'mismatch' | 'error';
  error?: string;
  tables: { name: string; expected?: number; actual?: number; exact: boolean }[];
}

interface VerifyJson {
  ok: boolean;
  copies: { destination: string; status: string }[];
  restoreTests: RestoreTestJson[];
}

interface ListJson {
  backups: {
    backupId: string;
    job: string;
    status: string;
    lastVerified: { at: string; level: string; status: string } | null;
  }[];
}

let env: SourcesEnv;
const first = new Map<string, Run>();

beforeAll(async () => {
  env = await startSourcesEnv('sources-fleet');
  await env.ws.writeConfig(await fleetConfig(env));
});
afterAll(() => env?.stop());

const manifestOf = async (run: Run): Promise<ManifestJson> =>
  JSON.parse(await readFile(join(run.copies[0]?.location as string, '..', 'manifest.json'), 'utf8'));

describe('a PostgreSQL, a MariaDB and a SQLite job in one config', () => {
  it('check probes all three sources', async () => {
    const result = await env.runJson<{
      ok: boolean;
      sources: { job: string; ok: boolean; status?: { engine: string } }[];
    }>(['check']);
    expect(result.code, result.stderr).toBe(0);
    const engines = Object.fromEntries(result.json.sources.map((s) => [s.job, s.status?.engine]));
    expect(engines).toEqual({ pg: 'postgresql', mysql: 'mariadb', music: 'sqlite' });
  });

  it('backup --json: every job ok with three verified copies', async () => {
    const result = await env.runJson<BackupJson>(['backup']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json.runs.map((r) => [r.job, r.status]).sort()).toEqual([
      ['music', 'ok'],
      ['mysql', 'ok'],
      ['pg', 'ok'],
    ]);
    for (const run of result.json.runs) {
      first.set(run.job, run);
      expect(run.copies.map((c) => c.status)).toEqual(['verified', 'verified', 'verified']);
    }
  });

  it('the manifests hold engine, versions and the Chinook row counts', async () => {
    const pgVersion = (await env.pg.sql('postgres', 'SHOW server_version')).trim().split(' ')[0];
    const pg = await manifestOf(first.get('pg') as Run);
    expect(pg.source).toMatchObject({ type: 'postgres', engine: 'postgresql', engineVersion: pgVersion });
    expect(pg.source.toolVersion).toMatch(/^\d+\.\d+/);
    expect(pg.artifact.format).toBe('pg-custom');
    expect(byChinookName(pg.tables)).toEqual(CHINOOK_COUNTS);
    expect(pg.tables.every((t) => t.exact)).toBe(true);

    const mysql = await manifestOf(first.get('mysql') as Run);
    expect(mysql.source).toMatchObject({ type: 'mysql', engine: 'mariadb' });
    expect(env.maria.version.startsWith(mysql.source.engineVersion)).toBe(true);
    expect(mysql.source.toolVersion).toMatch(/\d+\.\d+/);
    expect(byChinookName(mysql.tables)).toEqual(CHINOOK_COUNTS);

    const music = await manifestOf(first.get('music') as Run);
    expect(music.source).toMatchObject({ type: 'sqlite', engine: 'sqlite' });
    expect(byChinookName(music.tables)).toEqual(CHINOOK_COUNTS);

    // The live databases agree with the fixture's documentation too.
    expect(await pgCounts(env.pg, 'chinook')).toEqual(CHINOOK_COUNTS);
    expect(await mysqlCounts(env.maria, 'Chinook')).toEqual(CHINOOK_COUNTS);
  });
});

describe('restore of the PostgreSQL job', () => {
  it('--create-database restores a new database with the same rows', async () => {
    const result = await env.run([
      'restore',
      '--latest',
      '--job',
      'pg',
      '--to-database',
      'chinook_copy',
      '--create-database',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('chinook_copy');
    expect(await pgCounts(env.pg, 'chinook_copy')).toEqual(CHINOOK_COUNTS);
    expect(await pgContent(env.pg, 'chinook_copy')).toEqual(await pgContent(env.pg, 'chinook'));
  });

  it('into a missing database without --create-database: a clear error, nothing created', async () => {
    const result = await env.run(['restore', '--latest', '--job', 'pg', '--to-database', 'chinook_absent']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/"chinook_absent" does not exist.*--create-database/);
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(await pgDatabases(env.pg)).not.toContain('chinook_absent');
  });

  it('into a non-empty database: refused without --force (nothing changed), replaced with it', async () => {
    await env.pg.createDatabase('occupied');
    await env.pg.sql('occupied', 'CREATE TABLE keep (x int); INSERT INTO keep VALUES (42);');
    const refused = await env.run(['restore', '--latest', '--job', 'pg', '--to-database', 'occupied']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/"occupied" already exists and is not empty.*--force/);
    expect(await env.pg.sql('occupied', 'SELECT x FROM keep')).toBe('42');
    expect(await pgCounts(env.pg, 'occupied')).toEqual({ keep: 1 });

    const forced = await env.run([
      'restore',
      '--latest',
      '--job',
      'pg',
      '--to-database',
      'occupied',
      '--force',
    ]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await pgCounts(env.pg, 'occupied')).toEqual(CHINOOK_COUNTS);
  });

  it('into an existing empty database without --create-database or --force', async () => {
    await env.pg.createDatabase('empty_target');
    const result = await env.run(['restore', '--latest', '--job', 'pg', '--to-database', 'empty_target']);
    expect(result.code, result.stderr).toBe(0);
    expect(await pgContent(env.pg, 'empty_target')).toEqual(await pgContent(env.pg, 'chinook'));
  });

  it('over the database the job backs up: refused without --force and says so; --force replaces it', async () => {
    const before = await pgContent(env.pg, 'chinook');
    await env.pg.sql('chinook', 'CREATE TABLE added_after_backup (x int)');
    const refused = await env.run(['restore', '--latest', '--job', 'pg', '--to-database', 'chinook']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /refusing to restore over database "chinook", the very database this job backs up/,
    );
    expect(refused.stderr).toContain('--force');
    expect(await pgCounts(env.pg, 'chinook')).toEqual({ ...CHINOOK_COUNTS, addedafterbackup: 0 });

    const forced = await env.run([
      'restore',
      '--latest',
      '--job',
      'pg',
      '--to-database',
      'chinook',
      '--force',
    ]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await pgContent(env.pg, 'chinook')).toEqual(before);
  });
});

describe('restore of the MariaDB job', () => {
  it('--create-database restores a new database with the same rows', async () => {
    const result = await env.run([
      'restore',
      '--latest',
      '--job',
      'mysql',
      '--to-database',
      'Chinook_copy',
      '--create-database',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(await mysqlCounts(env.maria, 'Chinook_copy')).toEqual(CHINOOK_COUNTS);
    expect(await mysqlContent(env.maria, 'Chinook_copy')).toEqual(await mysqlContent(env.maria, 'Chinook'));
  });

  it('into a missing database without --create-database: a clear error, nothing created', async () => {
    const result = await env.run([
      'restore',
      '--latest',
      '--job',
      'mysql',
      '--to-database',
      'Chinook_absent',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/"Chinook_absent" does not exist.*--create-database/);
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(await mysqlDatabases(env.maria)).not.toContain('Chinook_absent');
  });

  it('into a non-empty database: refused without --force (nothing changed), replaced with it', async () => {
    await env.maria.sql(
      'CREATE DATABASE occupied; CREATE TABLE occupied.keep (x int); INSERT INTO occupied.keep VALUES (42);',
    );
    const refused = await env.run(['restore', '--latest', '--job', 'mysql', '--to-database', 'occupied']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/"occupied" already exists and is not empty.*--force/);
    expect(await mysqlCounts(env.maria, 'occupied')).toEqual({ keep: 1 });

    const forced = await env.run([
      'restore',
      '--latest',
      '--job',
      'mysql',
      '--to-database',
      'occupied',
      '--force',
    ]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await mysqlCounts(env.maria, 'occupied')).toEqual(CHINOOK_COUNTS);
  });

  it('into an existing empty database without --create-database or --force', async () => {
    await env.maria.sql('CREATE DATABASE empty_target');
    const result = await env.run(['restore', '--latest', '--job', 'mysql', '--to-database', 'empty_target']);
    expect(result.code, result.stderr).toBe(0);
    expect(await mysqlContent(env.maria, 'empty_target')).toEqual(await mysqlContent(env.maria, 'Chinook'));
  });

  it('over the database the job backs up: refused without --force and says so; --force replaces it', async () => {
    const before = await mysqlContent(env.maria, 'Chinook');
    await env.maria.sql('CREATE TABLE Chinook.added_after_backup (x int)');
    const refused = await env.run(['restore', '--latest', '--job', 'mysql', '--to-database', 'Chinook']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /refusing to restore over database "Chinook", the very database this job backs up/,
    );
    expect(refused.stderr).toContain('--force');
    expect(await mysqlCounts(env.maria, 'Chinook')).toEqual({ ...CHINOOK_COUNTS, addedafterbackup: 0 });

    const forced = await env.run([
      'restore',
      '--latest',
      '--job',
      'mysql',
      '--to-database',
      'Chinook',
      '--force',
    ]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await mysqlContent(env.maria, 'Chinook')).toEqual(before);
  });
});

describe('verify --restore-test', () => {
  it('passes for every job, drops its scratch databases, and list shows it as the last verification', async () => {
    const pgBefore = await pgDatabases(env.pg);
    const mysqlBefore = await mysqlDatabases(env.maria);
    const result = await env.runJson<VerifyJson>(['verify', '--latest', '--restore-test']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json.ok).toBe(true);
    expect(result.json.restoreTests.map((t) => [t.job, t.status]).sort()).toEqual([
      ['music', 'ok'],
      ['mysql', 'ok'],
      ['pg', 'ok'],
    ]);
    for (const test of result.json.restoreTests) {
      expect(test.tables).toHaveLength(11);
      expect(test.tables.every((t) => t.expected === t.actual)).toBe(true);
    }
    expect(await pgDatabases(env.pg)).toEqual(pgBefore);
    expect(await mysqlDatabases(env.maria)).toEqual(mysqlBefore);

    const list = await env.runJson<ListJson>(['list']);
    for (const job of ['pg', 'mysql', 'music']) {
      const backup = list.json.backups.find((b) => b.backupId === first.get(job)?.backupId);
      expect(backup?.lastVerified, job).toMatchObject({ level: 'restore-test', status: 'ok' });
    }
    const human = await env.run(['list', '--job', 'pg']);
    expect(human.stdout).toMatch(/restore-test ok/);
  });

  it('a manifest row count that differs from the restored data: mismatch, exit 1, recorded', async () => {
    const backupId = first.get('pg')?.backupId as string;
    const catalog = new Database(join(env.ws.dir, '.tricopy/catalog.db'));
    const original = (
      catalog.prepare('SELECT manifest FROM backups WHERE id = ?').get(backupId) as { manifest: string }
    ).manifest;
    try {
      const manifest = JSON.parse(original) as ManifestJson;
      const track = manifest.tables.find((t) => t.name.endsWith('track') && !t.name.includes('playlist'));
      expect(track?.rows).toBe(3503);
      (track as { rows: number }).rows = 3502;
      catalog.prepare('UPDATE backups SET manifest = ? WHERE id = ?').run(JSON.stringify(manifest), backupId);

      const pgBefore = await pgDatabases(env.pg);
      const result = await env.runJson<VerifyJson>(['verify', '--latest', '--job', 'pg', '--restore-test']);
      expect(result.code).toBe(1);
      const [test] = result.json.restoreTests;
      expect(test?.status).toBe('mismatch');
      expect(test?.tables.filter((t) => t.expected !== t.actual)).toEqual([
        { name: track?.name, expected: 3502, actual: 3503, exact: true },
      ]);
      expect(await pgDatabases(env.pg)).toEqual(pgBefore);

      const human = await env.run(['verify', '--latest', '--job', 'pg', '--restore-test']);
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(/mismatch.*differing: .*track 3503≠3502/);

      const list = await env.runJson<ListJson>(['list', '--job', 'pg']);
      expect(list.json.backups.find((b) => b.backupId === backupId)?.lastVerified).toMatchObject({
        level: 'restore-test',
        status: 'mismatch',
      });
    } finally {
      catalog.prepare('UPDATE backups SET manifest = ? WHERE id = ?').run(original, backupId);
      catalog.close();
    }
  });

  it('a backup whose every copy is corrupt: restore test fails, exit 1, scratch databases dropped', async () => {
    const backup = await env.runJson<BackupJson>(['backup', 'mysql']);
    expect(backup.code, backup.stderr).toBe(0);
    const run = backup.json.runs[0] as Run;
    for (const copy of run.copies) {
      const bytes = await readFile(copy.location as string);
      const middle = Math.floor(bytes.length / 2);
      bytes[middle] = (bytes[middle] as number) ^ 0xff;
      await writeFile(copy.location as string, bytes);
    }
    const before = await mysqlDatabases(env.maria);
    const result = await env.runJson<VerifyJson>(['verify', run.backupId, '--restore-test']);
    expect(result.code).toBe(1);
    expect(result.json.copies.map((c) => c.status)).toEqual([
      'checksum-mismatch',
      'checksum-mismatch',
      'checksum-mismatch',
    ]);
    expect(result.json.restoreTests[0]).toMatchObject({ status: 'error' });
    expect(result.json.restoreTests[0]?.error).toMatch(/no good copy/);
    expect(await mysqlDatabases(env.maria)).toEqual(before);
    const list = await env.runJson<ListJson>(['list', '--job', 'mysql']);
    expect(list.json.backups.find((b) => b.backupId === run.backupId)).toMatchObject({
      status: 'failed',
      lastVerified: { level: 'restore-test', status: 'error' },
    });
  });
});

describe('verify --restore-test against a server that refuses the credentials', () => {
  it('records an error naming the fix, exit 1, no scratch database left', async () => {
    const before = await pgDatabases(env.pg);
    const result = await env.runJson<VerifyJson>(['verify', '--latest', '--job', 'pg', '--restore-test'], {
      env: { PGPASS_APP: 'wrong-password-7f3a9c' },
    });
    expect(result.code).toBe(1);
    expect(result.json.restoreTests[0]?.status).toBe('error');
    expect(result.json.restoreTests[0]?.error).toMatch(/source "pg".*rejected the password.*check password/);
    expect(await pgDatabases(env.pg)).toEqual(before);
  });
});

describe('a failing job among good ones', () => {
  it('the mysql job with a wrong password fails alone: exit 1, the others ok', async () => {
    const result = await env.runJson<BackupJson>(['backup'], {
      env: { MYSQL_PASS: 'wrong-password-7f3a9c' },
    });
    expect(result.code).toBe(1);
    const status = Object.fromEntries(result.json.runs.map((r) => [r.job, r.status]));
    expect(status).toEqual({ pg: 'ok', mysql: 'failed', music: 'ok' });
    const mysql = result.json.runs.find((r) => r.job === 'mysql');
    expect(mysql?.error).toMatch(/source "mysql".*(password|access denied)/i);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });
});

describe('secrets', () => {
  const secrets = () => [env.pg.password, env.maria.password, 'wrong-password-7f3a9c'];

  it('no password in any output of any command run above', () => {
    expect(env.outputs.length).toBeGreaterThan(20);
    for (const secret of secrets()) {
      for (const output of env.outputs) expect(output).not.toContain(secret);
    }
  });

  it('every run removed its work folder files: password files, options files, staged copies', async () => {
    // The folder exists (tricopy used it), its files are gone.
    expect((await stat(join(env.ws.dir, 'work'))).isDirectory()).toBe(true);
    expect(await filesUnder(join(env.ws.dir, 'work'))).toEqual([]);
  });

  it('no password in any manifest or in the bytes of the catalog', async () => {
    const files = (await filesUnder(join(env.ws.dir, 'dest')))
      .filter((f) => f.endsWith('manifest.json'))
      .map((f) => join(env.ws.dir, 'dest', f));
    expect(files.length).toBeGreaterThanOrEqual(9);
    const catalogFiles = (await filesUnder(join(env.ws.dir, '.tricopy')))
      .filter((f) => f.includes('catalog.db'))
      .map((f) => join(env.ws.dir, '.tricopy', f));
    expect(catalogFiles.length).toBeGreaterThan(0);
    for (const file of [...files, ...catalogFiles]) {
      const bytes = await readFile(file);
      for (const secret of secrets()) expect(bytes.includes(secret), `${secret} in ${file}`).toBe(false);
    }
  });
});
