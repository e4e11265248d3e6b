// Table and schema names with a newline, a tab, a backslash, quotes, spaces and non-ASCII letters: the dump's
// manifest lists every table with its row count, and a restore test counts the same.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { dumpToFile, ODD_TABLE_NAMES } from '@tricopy/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSource } from './helpers.js';

const SCHEMA = 'odd\nschema';

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

let server: PostgresServer;
let dir: string;
let removeDir: () => Promise<void>;

beforeAll(async () => {
  server = await startPostgres();
  const temp = await makeTempDir('pg-odd-names');
  dir = temp.path;
  removeDir = temp.remove;
  await server.createDatabase('odd');
  const statements = [`CREATE SCHEMA ${ident(SCHEMA)};`];
  for (const [name, rows] of Object.entries(ODD_TABLE_NAMES)) {
    const table = `${ident(SCHEMA)}.${ident(name)}`;
    statements.push(`CREATE TABLE ${table} (id int PRIMARY KEY);`);
    statements.push(`INSERT INTO ${table} SELECT generate_series(1, ${rows});`);
  }
  await server.sql('odd', statements.join('\n'));
});

afterAll(async () => {
  await server?.stop();
  await removeDir?.();
});

describe('postgres source: odd table and schema names', () => {
  for (const format of ['custom', 'plain'] as const) {
    it(`${format}: lists every table with its row count, and the restore test counts the same`, async () => {
      const source = makeSource(server, dir, { database: 'odd', format });
      const dump = await source.dump();
      const info = await dumpToFile(dump, join(dir, `odd.${dump.extension}`));
      const expected = Object.fromEntries(
        Object.entries(ODD_TABLE_NAMES).map(([name, rows]) => [`${SCHEMA}.${name}`, rows]),
      );
      expect(Object.fromEntries((info.tables ?? []).map((table) => [table.name, table.rows]))).toEqual(
        expected,
      );
      const counts = await source.restoreTest(createReadStream(join(dir, `odd.${dump.extension}`)), {
        format: dump.format,
      });
      expect(counts).toEqual(info.tables);
    });
  }
});
