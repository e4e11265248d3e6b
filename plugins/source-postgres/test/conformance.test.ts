import { makeTempDir, type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { sourceSuite } from '@tricopy/testkit';
import { afterAll, beforeAll } from 'vitest';
import { TRICKY_SCHEMA } from './fixtures.js';
import { makeSource } from './helpers.js';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

let serial = 0;

/** `{ tables: { 'schema.table': [row as JSON, …] } }`, rows sorted. */
async function tablesOf(database: string): Promise<{ tables: Record<string, string[]> }> {
  const names = await server.sql(
    database,
    `SELECT n.nspname || '.' || c.relname || E'\\t' || format('%I.%I', n.nspname, c.relname)
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1`,
  );
  const tables: Record<string, string[]> = {};
  for (const line of names.split('\n').filter(Boolean)) {
    const [label, quoted] = line.split('\t') as [string, string];
    const rows = await server.sql(database, `SELECT to_json(t)::text FROM ${quoted} t ORDER BY 1`);
    tables[label] = rows === '' ? [] : rows.split('\n');
  }
  return { tables };
}

for (const format of ['custom', 'plain'] as const) {
  sourceSuite(`postgres (${format})`, {
    create: async () => {
      const database = `conformance_${format}_${++serial}`;
      const temp = await makeTempDir('pg-conformance');
      await server.createDatabase(database);
      await server.sql(database, TRICKY_SCHEMA);
      const targets: string[] = [];
      const source = makeSource(server, temp.path, { database, format });
      return {
        source,
        newRestoreTarget: async () => {
          const name = `${database}_restored_${targets.length}`;
          targets.push(name);
          return { database: name, createDatabase: true };
        },
        content: (target) => tablesOf(target?.database ?? database),
        query: { sql: 'SELECT count(*) FROM child', value: '500', write: 'CREATE TABLE probe (x int)' },
        ownTarget: { database },
        breakSource: async () => {
          await server.sql('postgres', `DROP DATABASE "${database}" WITH (FORCE)`);
        },
        cleanup: async () => {
          for (const name of [database, ...targets]) {
            await server.sql('postgres', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
          }
          await temp.remove();
        },
      };
    },
  });
}
