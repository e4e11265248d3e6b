// A PostgreSQL database's own properties (owner, privileges, comment, settings, role-in-database settings) backed
// up on one real server and restored through the CLI onto a second, empty one, then over the existing database.
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupJson, makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';
import { postgresSource } from './server-configs.js';

const APP = `
CREATE ROLE app_owner NOLOGIN;
CREATE ROLE reporting NOLOGIN;
CREATE ROLE app_ro LOGIN;
CREATE DATABASE app OWNER app_owner TEMPLATE template0 ENCODING 'LATIN1' LOCALE 'C';
REVOKE CONNECT ON DATABASE app FROM PUBLIC;
GRANT CONNECT ON DATABASE app TO reporting;
ALTER DATABASE app SET work_mem = '8MB';
ALTER DATABASE app SET search_path = "$user", public, "Odd, Schema";
ALTER DATABASE app CONNECTION LIMIT 40;
ALTER ROLE app_ro IN DATABASE app SET statement_timeout = '5s';
COMMENT ON DATABASE app IS 'orders and invoices';
`;

/** Everything about database `app` that is not its content, one line per fact. */
const FACTS_SQL = `
SELECT 'owner ' || pg_catalog.pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'
UNION ALL SELECT concat_ws(' ', 'locale', pg_encoding_to_char(encoding), datcollate, datctype) FROM pg_database WHERE datname = 'app'
UNION ALL SELECT 'acl ' || coalesce((SELECT string_agg(x, ' ' ORDER BY x) FROM unnest(datacl::text[]) x), 'default')
  FROM pg_database WHERE datname = 'app'
UNION ALL SELECT 'comment ' || coalesce(shobj_description(oid, 'pg_database'), 'none') FROM pg_database WHERE datname = 'app'
UNION ALL SELECT 'limit ' || datconnlimit FROM pg_database WHERE datname = 'app'
UNION ALL (SELECT 'settings ' || coalesce(pg_catalog.pg_get_userbyid(nullif(setrole, 0)), '(database)') || ' ' || setconfig::text
  FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = 'app' ORDER BY 1)`;

let source: PostgresServer;
let target: PostgresServer;
let ws: Workspace;
let identity: string;
let recipient: string;
const run = (server: PostgresServer) => ({ cwd: ws.dir, env: { PGPASS_TEST: server.password } });

/** Two jobs on the same database: one plain, one age-encrypted (its details are sealed in the manifest). */
function config(server: PostgresServer): string {
  const sourceYaml = `\n${postgresSource(server, 'app', { settings: { binDir: server.binDir, globals: true } })}`;
  return `
destinations:
  primary: { type: local, path: ./dest/primary }
jobs:
  app:
    source:${sourceYaml}
    destinations: [primary]
  sealed:
    source:${sourceYaml}
    destinations: [primary]
    encryption: { recipients: [${recipient}] }
`;
}

function restoreArgs(job: string, ...flags: string[]): string[] {
  const key = job === 'sealed' ? ['--identity', identity] : [];
  return ['restore', '--latest', '--job', job, '--to-database', 'app', ...key, ...flags];
}

beforeAll(async () => {
  [source, target, ws] = await Promise.all([startPostgres(), startPostgres(), makeWorkspace('dbprops')]);
  await mkdir(join(ws.dir, 'dest'));
  identity = join(ws.dir, 'key.txt');
  execFileSync('age-keygen', ['-o', identity], { stdio: 'ignore' });
  recipient = execFileSync('age-keygen', ['-y', identity], { encoding: 'utf8' }).trim();
  await source.sql('postgres', APP);
  await source.sql('app', 'CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items VALUES (1), (2);');
  await ws.writeConfig(config(source));
  const backup = await tricopyJson<BackupJson>(['backup'], run(source));
  expect(backup.code, backup.stderr).toBe(0);
  // The source server is gone; the config now names the new, empty one.
  await ws.writeConfig(config(target));
}, 120_000);
afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  await ws?.remove();
});

describe('PostgreSQL database properties through backup and restore (second, empty server)', () => {
  it('without --globals, roles missing here are named in a warning; the rest is applied', async () => {
    const restored = await tricopy(restoreArgs('app', '--create-database'), run(target));
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toMatch(
      /role\(s\) app_owner, app_ro, reporting do not exist on this server: database "app" is restored without the privileges and settings the backup gives them, and it is not owned by "app_owner"; restore with --globals/,
    );
    const facts = await target.sql('postgres', FACTS_SQL);
    expect(facts).toContain('comment orders and invoices');
    expect(facts).toContain(
      'settings (database) {work_mem=8MB,"search_path=\\"$user\\", public, \\"Odd, Schema\\""}',
    );
    expect(facts).not.toContain('=c/'); // PUBLIC may not connect: the REVOKE is applied even so
    await target.sql('postgres', 'DROP DATABASE app');
  });

  it('--create-database --globals brings back owner, privileges, comment, limit and settings', async () => {
    const restored = await tricopy(restoreArgs('app', '--create-database', '--globals'), run(target));
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toContain('roles created: app_owner, app_ro, reporting');
    expect(restored.stderr).not.toContain('do not exist');
    const facts = await source.sql('postgres', FACTS_SQL);
    expect(facts.split('\n')).toEqual([
      'owner app_owner',
      'locale LATIN1 C C',
      'acl =T/app_owner app_owner=CTc/app_owner reporting=c/app_owner',
      'comment orders and invoices',
      'limit 40',
      'settings (database) {work_mem=8MB,"search_path=\\"$user\\", public, \\"Odd, Schema\\""}',
      'settings app_ro {statement_timeout=5s}',
    ]);
    expect(await target.sql('postgres', FACTS_SQL)).toBe(facts);
    expect(await target.sql('app', 'SELECT count(*) FROM items')).toBe('2');
  });

  it('--force over an existing database replaces its properties with the backup’s (encrypted backup)', async () => {
    // Replaced by a database with the server's encoding and locale, and everything else changed too.
    await target.sql('postgres', 'DROP DATABASE app; CREATE DATABASE app;');
    await target.sql(
      'postgres',
      `GRANT ALL ON DATABASE app TO PUBLIC;
       COMMENT ON DATABASE app IS 'changed'; ALTER DATABASE app SET work_mem = '1MB';
       ALTER DATABASE app CONNECTION LIMIT -1; ALTER ROLE app_ro IN DATABASE app SET lock_timeout = '1s';`,
    );
    expect(await target.sql('postgres', FACTS_SQL)).not.toBe(await source.sql('postgres', FACTS_SQL));
    const restored = await tricopy(restoreArgs('sealed', '--force'), run(target));
    expect(restored.code, restored.stderr).toBe(0);
    expect(await target.sql('postgres', FACTS_SQL)).toBe(await source.sql('postgres', FACTS_SQL));
  });
});
