import { type MariadbServer, makeTempDir, startMariadb } from '@tricopy/test-servers';
import { sourceSuite } from '@tricopy/testkit';
import { afterAll, beforeAll } from 'vitest';
import { TRICKY_SCHEMA } from './fixtures.js';
import { makeSource, quote } from './helpers.js';

let server: MariadbServer;
beforeAll(async () => {
  server = await startMariadb();
});
afterAll(async () => {
  await server?.stop();
});

let serial = 0;

/** `{ tables: { table: [row as JSON, …] } }`, rows sorted; binary columns as hex. */
async function tablesOf(database: string): Promise<{ tables: Record<string, string[]> }> {
  const columns = await server.sql(
    `SELECT c.TABLE_NAME, c.COLUMN_NAME FROM information_schema.COLUMNS c JOIN information_schema.TABLES t
        ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME AND t.TABLE_TYPE = 'BASE TABLE'
      WHERE c.TABLE_SCHEMA = '${database}' ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
  );
  const byTable = new Map<string, string[]>();
  for (const line of columns.split('\n').filter(Boolean)) {
    const [table, column] = line.split('\t') as [string, string];
    byTable.set(table, [...(byTable.get(table) ?? []), `HEX(CAST(${quote(column)} AS BINARY))`]);
  }
  const tables: Record<string, string[]> = {};
  for (const [table, expressions] of byTable) {
    const rows = await server.sql(
      `SELECT JSON_ARRAY(${expressions.join(', ')}) AS j FROM ${quote(table)} ORDER BY j`,
      database,
    );
    tables[table] = rows === '' ? [] : rows.split('\n');
  }
  return { tables };
}

sourceSuite('mysql (mariadb)', {
  create: async () => {
    const database = `conformance_${++serial}`;
    const temp = await makeTempDir('mysql-conformance');
    await server.sql(`CREATE DATABASE ${database} CHARACTER SET utf8mb4`);
    await server.sql(TRICKY_SCHEMA, database);
    const targets: string[] = [];
    return {
      source: makeSource(server, temp.path, { database }),
      newRestoreTarget: async () => {
        const name = `${database}_restored_${targets.length}`;
        targets.push(name);
        return { database: name, createDatabase: true };
      },
      content: (target) => tablesOf(target?.database ?? database),
      query: { sql: 'SELECT count(*) FROM child', value: '500', write: 'CREATE TABLE probe (x int)' },
      ownTarget: { database },
      breakSource: async () => {
        await server.sql(`DROP DATABASE ${database}`);
      },
      cleanup: async () => {
        for (const name of [database, ...targets]) await server.sql(`DROP DATABASE IF EXISTS ${quote(name)}`);
        await temp.remove();
      },
    };
  },
});
