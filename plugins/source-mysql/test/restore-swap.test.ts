// restore --force into existing databases: restored into temporary databases whose tables are moved in with one
// RENAME TABLE, so a failed restore leaves the old databases exactly as they were.
import { createReadStream } from 'node:fs';
import { copyFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { type MariadbServer, makeTempDir, startMariadb } from '@tricopy/test-servers';
import { dumpToFile, killedRestoresCase, recordingLogger, rejectionOf } from '@tricopy/testkit';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRICKY_SCHEMA } from './fixtures.js';
import { contentOf, makeSource, schemaOf, underTest } from './helpers.js';

let server: MariadbServer;
let dir: string;
let removeDir: () => Promise<void>;
let file: string;
let several: string;
const logger = recordingLogger();
const SEVERAL = { database: undefined, databases: ['tricky', 'second'] };

/** An old database with a table, a view, a trigger, a routine and an event of its own. */
const OLD_SCHEMA = `
CREATE TABLE keep_me (x VARCHAR(20));
INSERT INTO keep_me VALUES ('old data');
CREATE VIEW old_view AS SELECT x FROM keep_me;
CREATE TRIGGER old_trigger BEFORE INSERT ON keep_me FOR EACH ROW SET NEW.x = UPPER(NEW.x);
CREATE FUNCTION old_function() RETURNS INT DETERMINISTIC RETURN 1;
CREATE EVENT old_event ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM keep_me;
`;

beforeAll(async () => {
  server = await startMariadb();
  const temp = await makeTempDir('mysql-swap-test');
  dir = temp.path;
  removeDir = temp.remove;
  await server.sql('CREATE DATABASE tricky CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
  await server.sql(TRICKY_SCHEMA, 'tricky');
  await server.sql(
    'CREATE DATABASE second; CREATE TABLE second.t (id INT PRIMARY KEY); INSERT INTO second.t VALUES (7);',
  );
  file = join(dir, 'tricky.sql');
  await dumpToFile(await makeSource(server, dir, { database: 'tricky' }).dump(), file);
  several = join(dir, 'several.sql');
  await dumpToFile(await makeSource(server, dir, SEVERAL).dump(), several);
});

afterAll(async () => {
  await server?.stop();
  await removeDir?.();
});

/** Content and full schema (tables, views, triggers, routines, events) of a database. */
async function snapshot(name: string) {
  return { content: await contentOf(server, name), schema: await schemaOf(server, name) };
}

async function oldDatabase(name: string) {
  await server.sql(`CREATE DATABASE ${name}`);
  await server.sql(OLD_SCHEMA, name);
  return snapshot(name);
}

async function restoreDatabases(): Promise<string[]> {
  const out = await server.sql("SHOW DATABASES LIKE 'tricopy\\_restore\\_%'");
  return out.split('\n').filter(Boolean);
}

/** The first half of a dump: the client fails on it mid-way. */
async function halfOf(dump: string, name: string): Promise<string> {
  const half = join(dir, `half-${name}.sql`);
  await copyFile(dump, half);
  await truncate(half, Math.floor((await stat(half)).size / 2));
  return half;
}

function forceRestore(dump: string, database: string | undefined, options: Record<string, unknown> = {}) {
  return makeSource(server, dir, { database: 'tricky', ...options }, logger).restore(
    createReadStream(dump),
    { ...(database === undefined ? {} : { database }), force: true },
    { format: database === undefined ? 'mysql-sql-databases' : 'mysql-sql' },
  );
}

describe('mariadb restore --force', () => {
  it('replaces tables, views, triggers, routines and events; no temporary database remains', async () => {
    await oldDatabase('replaced');
    await forceRestore(file, 'replaced');
    expect(await snapshot('replaced')).toEqual(await snapshot('tricky'));
    expect(await server.sql('SELECT double_it(21)', 'replaced')).toBe('42');
    // The view and the foreign key follow the moved tables, not the temporary database.
    expect(
      await server.sql(
        "SELECT VIEW_DEFINITION LIKE '%tricopy_restore%' FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'replaced'",
      ),
    ).toBe('0');
    expect(
      await server.sql(
        "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'replaced' AND UNIQUE_CONSTRAINT_SCHEMA = 'replaced'",
      ),
    ).toBe('1');
    expect(await restoreDatabases()).toEqual([]);
  });

  it('a restore that fails on its own leaves the old database exactly as it was', async () => {
    const before = await oldDatabase('kept');
    const error = await rejectionOf(forceRestore(await halfOf(file, 'one'), 'kept'));
    expect(error.message).toMatch(/into "kept"/);
    expect(await snapshot('kept')).toEqual(before);
    expect(await restoreDatabases()).toEqual([]);
  });

  it('a dump of several databases: all replaced, or (failing) all kept', async () => {
    await server.sql('CREATE DATABASE copy_of_second; DROP DATABASE second; CREATE DATABASE second;');
    await server.sql(OLD_SCHEMA, 'second');
    const before = await snapshot('second');
    const trickyBefore = await snapshot('tricky');
    await rejectionOf(forceRestore(await halfOf(several, 'several'), undefined, SEVERAL));
    expect(await snapshot('second')).toEqual(before);
    expect(await snapshot('tricky')).toEqual(trickyBefore);
    expect(await restoreDatabases()).toEqual([]);

    await forceRestore(several, undefined, SEVERAL);
    expect(await server.sql('SELECT id FROM t', 'second')).toBe('7');
    expect(await server.sql("SHOW TABLES LIKE 'keep_me'", 'second')).toBe('');
    expect(await snapshot('tricky')).toEqual(trickyBefore);
    expect(await restoreDatabases()).toEqual([]);
  });

  it('a user who may not create the temporary database is refused before anything changes', async () => {
    await server.sql(
      `CREATE USER 'narrow'@'127.0.0.1' IDENTIFIED BY 'narrow-pw';
       GRANT ALL PRIVILEGES ON \`narrow\\_%\`.* TO 'narrow'@'127.0.0.1';`,
    );
    const before = await oldDatabase('narrow_app');
    const error = await rejectionOf(
      forceRestore(file, 'narrow_app', { user: 'narrow', password: 'narrow-pw' }),
    );
    expect(error.message).toMatch(
      /refusing to replace database "narrow_app".*may not create it.*nothing was changed/,
    );
    expect(await snapshot('narrow_app')).toEqual(before);
  });

  killedRestoresCase(() => ({
    ...underTest(server, dir),
    forceRestore: (database) => forceRestore(file, database),
    logged: logger.messages,
    reference: 'tricky',
    oldDatabase,
    holdRun: async (id) => {
      const { host, port, user, password } = server;
      const holder = await mysql.createConnection({ host, port, user, password });
      await holder.query('SELECT GET_LOCK(?, 0)', [id]);
      return () => holder.end();
    },
  }));
});
