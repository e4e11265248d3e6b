// restore --force into an existing database: restored under a temporary name and swapped in one transaction, so a
// failed restore leaves the old database exactly as it was.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { dumpToFile, killedRestoresCase, recordingLogger, rejectionOf } from '@tricopy/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockRun } from '../src/restore-swap.js';
import { contentOf, makeSource, underTest } from './helpers.js';

let server: PostgresServer;
let dir: string;
let removeDir: () => Promise<void>;
let file: string;
const logger = recordingLogger();
const logged = logger.messages;

beforeAll(async () => {
  server = await startPostgres();
  const temp = await makeTempDir('pg-swap-test');
  dir = temp.path;
  removeDir = temp.remove;
  await server.createDatabase('shop');
  await server.sql(
    'shop',
    'CREATE TABLE item (id int PRIMARY KEY, name text); INSERT INTO item VALUES (1, $$new$$);',
  );
  file = join(dir, 'shop.pgdump');
  await dumpToFile(await makeSource(server, dir, { database: 'shop' }).dump(), file);
});

afterAll(async () => {
  await server?.stop();
  await removeDir?.();
});

/** A database holding one table with one row: what a restore must keep when it fails. */
async function oldDatabase(name: string): Promise<Record<string, string>> {
  await server.createDatabase(name);
  await server.sql(name, 'CREATE TABLE keep_me (x text); INSERT INTO keep_me VALUES ($$old data$$);');
  return contentOf(server, name);
}

async function restoreDatabases(): Promise<string[]> {
  const out = await server.sql(
    'postgres',
    "SELECT datname FROM pg_database WHERE datname LIKE 'tricopy\\_restore\\_%'",
  );
  return out.split('\n').filter(Boolean);
}

function connectTo(database: string): pg.Client {
  const { host, port, user, password } = server;
  return new pg.Client({ host, port, user, password, database });
}

function forceRestore(dump: string, database: string) {
  return makeSource(server, dir, { database: 'shop' }, logger).restore(
    createReadStream(dump),
    { database, force: true },
    { format: 'pg-custom' },
  );
}

describe('postgres restore --force', () => {
  it('a restore that fails on its own (a role the backup grants to is missing) leaves the old database as it was', async () => {
    await server.createDatabase('granting');
    await server.sql(
      'granting',
      'CREATE ROLE ghost; CREATE TABLE t (x int); INSERT INTO t VALUES (1); GRANT SELECT ON t TO ghost;',
    );
    const granting = join(dir, 'granting.pgdump');
    await dumpToFile(await makeSource(server, dir, { database: 'granting' }).dump(), granting);
    await server.sql('granting', 'REVOKE SELECT ON t FROM ghost; DROP ROLE ghost;');
    const before = await oldDatabase('keeps_old');

    const error = await rejectionOf(forceRestore(granting, 'keeps_old'));
    expect(error.message).toMatch(/pg_restore .*into "keeps_old".*role "ghost" does not exist/s);
    expect(await contentOf(server, 'keeps_old')).toEqual(before);
    expect(await restoreDatabases()).toEqual([]);
  });

  it('replaces the database (ending its sessions), which keeps the owner, locale and privileges of the one it replaces', async () => {
    await server.sql(
      'postgres',
      `CREATE ROLE app_owner; CREATE ROLE reader;
       CREATE DATABASE owned OWNER app_owner TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C' CONNECTION LIMIT 7;
       REVOKE ALL ON DATABASE owned FROM PUBLIC; GRANT CONNECT ON DATABASE owned TO reader;`,
    );
    await server.sql('owned', 'CREATE TABLE keep_me (x int);');
    const facts = `SELECT pg_get_userbyid(datdba), datcollate, datconnlimit, datacl::text FROM pg_database WHERE datname = 'owned'`;
    const before = await server.sql('postgres', facts);
    expect(before).toContain('reader=c/');

    // An application still connected to the old database does not stop the swap: its session is ended.
    const app = connectTo('owned');
    await app.connect();
    app.on('error', () => {});
    await forceRestore(file, 'owned');
    await app.end().catch(() => {});
    expect(await contentOf(server, 'owned')).toEqual(await contentOf(server, 'shop'));
    expect(await server.sql('postgres', facts)).toBe(before);
    expect(await restoreDatabases()).toEqual([]);
  });

  killedRestoresCase(() => ({
    ...underTest(server, dir),
    forceRestore: (database) => forceRestore(file, database),
    logged,
    reference: 'shop',
    oldDatabase,
    holdRun: async (id) => {
      const holder = connectTo('postgres');
      await holder.connect();
      await lockRun(holder, id);
      return () => holder.end();
    },
  }));
});
