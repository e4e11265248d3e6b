import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type MariadbServer, type PostgresServer, startMariadb, startPostgres } from '@tricopy/test-servers';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupJson, makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';
import { postgresSource } from './server-configs.js';

/** The dropped database `shop` restored over itself, its roles or users first. */
const RESTORE_SHOP_WITH_GLOBALS = [
  'restore',
  '--latest',
  '--job',
  'shop',
  '--to-database',
  'shop',
  '--force',
  '--create-database',
  '--globals',
];

let pg: PostgresServer;
let ws: Workspace;
const run = () => ({ cwd: ws.dir, env: { PGPASS_TEST: pg.password } });

const SHOP = `
CREATE ROLE shop_owner LOGIN PASSWORD 'owner-secret-e2e';
CREATE ROLE shop_reader NOLOGIN;
CREATE DATABASE shop OWNER shop_owner;
`;
const SCHEMA = `
SET ROLE shop_owner;
CREATE TABLE items (id int PRIMARY KEY, name text);
INSERT INTO items VALUES (1, 'apple'), (2, 'pear'), (3, 'plum');
GRANT SELECT ON items TO shop_reader;
`;

function config(globals: boolean): string {
  return `
destinations:
  primary: { type: local, path: ./dest/primary }
  usb: { type: local, path: ./dest/usb, media: removable }
jobs:
  shop:
    source:
${postgresSource(pg, 'shop', { settings: { binDir: pg.binDir, globals } })}
    destinations: [primary, usb]
`;
}

beforeAll(async () => {
  [pg, ws] = await Promise.all([startPostgres(), makeWorkspace('globals')]);
  await mkdir(join(ws.dir, 'dest'));
  await pg.sql('postgres', SHOP);
  await pg.sql('shop', SCHEMA);
}, 60_000);
afterAll(async () => {
  await pg?.stop();
  await ws?.remove();
});

describe('restore --globals through the CLI (PostgreSQL)', () => {
  it('a database dropped together with its owner and reader roles comes back with owner and grants', async () => {
    await ws.writeConfig(config(false));
    const plain = await tricopyJson<BackupJson>(['backup'], run());
    expect(plain.code, plain.stderr).toBe(0);
    await ws.writeConfig(config(true));
    const backup = await tricopyJson<BackupJson>(['backup'], run());
    expect(backup.code, backup.stderr).toBe(0);
    const hash = await pg.sql('postgres', "SELECT rolpassword FROM pg_authid WHERE rolname = 'shop_owner'");

    await pg.sql('postgres', 'DROP DATABASE shop; DROP ROLE shop_owner; DROP ROLE shop_reader;');
    const old = await tricopy(
      ['restore', plain.json.runs[0]?.backupId as string, '--to-database', 'shop', '--force', '--globals'],
      run(),
    );
    expect(old.code).toBe(2);
    expect(old.stderr).toContain('holds no roles or users');

    const restored = await tricopy(RESTORE_SHOP_WITH_GLOBALS, run());
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toContain('roles created: shop_owner, shop_reader');
    expect(restored.stderr).not.toContain('owner-secret-e2e');
    expect(await pg.sql('shop', "SELECT tableowner FROM pg_tables WHERE tablename = 'items'")).toBe(
      'shop_owner',
    );
    expect(await pg.sql('shop', "SELECT has_table_privilege('shop_reader', 'items', 'SELECT')::text")).toBe(
      'true',
    );
    expect(await pg.sql('postgres', "SELECT rolpassword FROM pg_authid WHERE rolname = 'shop_owner'")).toBe(
      hash,
    );
    expect(await pg.sql('shop', 'SELECT count(*) FROM items')).toBe('3');

    const again = await tricopy(
      [
        'restore',
        '--latest',
        '--job',
        'shop',
        '--to-database',
        'shop_copy',
        '--create-database',
        '--globals',
      ],
      run(),
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('roles created: none; left alone (they exist): shop_owner, shop_reader');
    const deep = await tricopy(['verify', '--latest', '--restore-test'], run());
    expect(deep.code, deep.stdout + deep.stderr).toBe(0);
  });
});

describe('restore --globals through the CLI (MariaDB)', () => {
  let db: MariadbServer;
  let mws: Workspace;
  const mrun = () => ({ cwd: mws.dir, env: { MYSQL_PASS_TEST: db.password } });

  beforeAll(async () => {
    [db, mws] = await Promise.all([startMariadb(), makeWorkspace('globals-mariadb')]);
    await mkdir(join(mws.dir, 'dest'));
    await db.sql(`
CREATE DATABASE shop;
CREATE TABLE shop.items (id INT PRIMARY KEY, name TEXT);
INSERT INTO shop.items VALUES (1, 'apple'), (2, 'pear');
CREATE USER 'shop_app'@'%' IDENTIFIED BY 'app-secret-e2e';
GRANT SELECT, INSERT ON shop.* TO 'shop_app'@'%';
CREATE USER 'shop_reader'@'localhost' IDENTIFIED BY 'reader-secret-e2e';
GRANT SELECT ON shop.items TO 'shop_reader'@'localhost';
`);
    await mws.writeConfig(`
destinations:
  primary: { type: local, path: ./dest/primary }
jobs:
  shop:
    source:
      type: mysql
      host: ${db.host}
      port: ${db.port}
      user: ${db.user}
      password: \${MYSQL_PASS_TEST}
      database: shop
      globals: true
    destinations: [primary]
`);
  }, 60_000);
  afterAll(async () => {
    await db?.stop();
    await mws?.remove();
  });

  it('a database dropped together with its users comes back with their grants', async () => {
    const backup = await tricopyJson<BackupJson>(['backup'], mrun());
    expect(backup.code, backup.stderr).toBe(0);
    const grants = await db.sql("SHOW GRANTS FOR 'shop_reader'@'localhost'");
    await db.sql("DROP DATABASE shop; DROP USER 'shop_app'@'%', 'shop_reader'@'localhost';");
    const restored = await tricopy(RESTORE_SHOP_WITH_GLOBALS, mrun());
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toContain(
      "users and roles created: 'shop_app'@'%', 'shop_reader'@'localhost'; left alone (they exist): none",
    );
    expect(restored.stderr).not.toContain('secret-e2e');
    expect(await db.sql("SHOW GRANTS FOR 'shop_reader'@'localhost'")).toBe(grants);
    expect(await db.sql("SHOW GRANTS FOR 'shop_app'@'%'")).toContain(
      'GRANT SELECT, INSERT ON `shop`.* TO `shop_app`@`%`',
    );
    expect(await db.sql('SELECT COUNT(*) FROM shop.items')).toBe('2');
  });
});

/** Runs `sql` on `server` as `user` over TCP with its password, as an application would log in. */
async function sqlAs(server: MariadbServer, user: string, password: string, database: string, sql: string) {
  const result = await execa(
    'mariadb',
    [
      '--no-defaults',
      '--batch',
      '--skip-column-names',
      `--host=${server.host}`,
      `--port=${server.port}`,
      `--user=${user}`,
      database,
    ],
    {
      input: sql,
      env: { PATH: process.env.PATH ?? '', MYSQL_PWD: password },
      extendEnv: false,
      reject: false,
    },
  );
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

describe('restore --globals through the CLI (MariaDB roles, onto a new server)', () => {
  let old: MariadbServer;
  let fresh: MariadbServer;
  let rws: Workspace;

  function roleConfig(server: MariadbServer): string {
    return `
destinations:
  primary: { type: local, path: ./dest/primary }
jobs:
  crm:
    source:
      type: mysql
      host: ${server.host}
      port: ${server.port}
      user: ${server.user}
      password: \${MYSQL_PASS_TEST}
      database: crm
      globals: true
    destinations: [primary]
`;
  }

  beforeAll(async () => {
    [old, fresh, rws] = await Promise.all([startMariadb(), startMariadb(), makeWorkspace('globals-roles')]);
    await mkdir(join(rws.dir, 'dest'));
    await old.sql(`
CREATE DATABASE crm;
CREATE TABLE crm.leads (id INT PRIMARY KEY, name TEXT);
INSERT INTO crm.leads VALUES (1, 'ada');
CREATE ROLE app_rw;
GRANT SELECT, INSERT ON crm.* TO app_rw;
CREATE USER 'app'@'%' IDENTIFIED BY 'app-role-secret-e2e';
GRANT app_rw TO 'app'@'%';
SET DEFAULT ROLE app_rw FOR 'app'@'%';
`);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([old?.stop(), fresh?.stop()]);
    await rws?.remove();
  });

  it('a user working through its default role can read and write on the new server', async () => {
    const before = await sqlAs(old, 'app', 'app-role-secret-e2e', 'crm', 'SELECT COUNT(*) FROM leads');
    expect(before.stdout, before.stderr).toBe('1');
    await rws.writeConfig(roleConfig(old));
    const backup = await tricopyJson<BackupJson>(['backup'], {
      cwd: rws.dir,
      env: { MYSQL_PASS_TEST: old.password },
    });
    expect(backup.code, backup.stderr).toBe(0);

    await rws.writeConfig(roleConfig(fresh));
    const restored = await tricopy(
      [
        'restore',
        '--latest',
        '--job',
        'crm',
        '--to-database',
        'crm',
        '--force',
        '--create-database',
        '--globals',
      ],
      { cwd: rws.dir, env: { MYSQL_PASS_TEST: fresh.password } },
    );
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toContain(
      "users and roles created: app_rw, 'app'@'%'; left alone (they exist): none",
    );
    expect(restored.stderr).not.toContain('app-role-secret-e2e');

    const work = await sqlAs(
      fresh,
      'app',
      'app-role-secret-e2e',
      'crm',
      "SELECT CURRENT_ROLE(); INSERT INTO leads VALUES (2, 'grace'); SELECT name FROM leads ORDER BY id;",
    );
    expect(work.stderr).toBe('');
    expect(work.stdout.split('\n')).toEqual(['app_rw', 'ada', 'grace']);
    const refused = await sqlAs(fresh, 'app', 'app-role-secret-e2e', 'crm', 'DELETE FROM leads');
    expect(refused.stderr).toContain('DELETE command denied'); // only what the role grants
  });
});
