// Table names with a newline, a tab, a backslash, quotes, spaces and non-ASCII letters: the dump's manifest must
// list every table with its row count, and a restore test must count the same.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { type MariadbServer, makeTempDir, quoteMysqlIdent, startMariadb } from '@tricopy/test-servers';
import { dumpToFile, ODD_TABLE_NAMES } from '@tricopy/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSource } from './helpers.js';

/** A second database, named with a newline. */
const ODD_DATABASE = 'odd\nbase';

let server: MariadbServer;
let dir: string;
let removeDir: () => Promise<void>;

beforeAll(async () => {
  server = await startMariadb();
  const temp = await makeTempDir('mysql-odd-names');
  dir = temp.path;
  removeDir = temp.remove;
  await server.sql('CREATE DATABASE odd CHARACTER SET utf8mb4');
  await server.sql(`CREATE DATABASE ${quoteMysqlIdent(ODD_DATABASE)} CHARACTER SET utf8mb4`);
  await server.sql('CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2);', ODD_DATABASE);
  for (const [name, rows] of Object.entries(ODD_TABLE_NAMES)) {
    const table = quoteMysqlIdent(name);
    await server.sql(
      `CREATE TABLE ${table} (id INT PRIMARY KEY); INSERT INTO ${table} SELECT seq FROM seq_1_to_${rows};`,
      'odd',
    );
  }
});

afterAll(async () => {
  await server?.stop();
  await removeDir?.();
});

describe('mysql source: odd table names', () => {
  it('lists every table with its row count in the dump info, and the restore test counts the same', async () => {
    const source = makeSource(server, dir, { database: 'odd' });
    const dump = await source.dump();
    const file = join(dir, 'odd.sql');
    const info = await dumpToFile(dump, file);
    expect(Object.fromEntries((info.tables ?? []).map((table) => [table.name, table.rows]))).toEqual(
      ODD_TABLE_NAMES,
    );
    expect(await source.restoreTest(createReadStream(file), { format: dump.format })).toEqual(info.tables);
  });

  it('restore-tests a multi-database dump with a newline in a database name under scratch names only', async () => {
    const source = makeSource(server, dir, { databases: ['odd', ODD_DATABASE] });
    const dump = await source.dump();
    const file = join(dir, 'multi.sql');
    const info = await dumpToFile(dump, file);
    expect(info.tables?.find((table) => table.name === `${ODD_DATABASE}.t`)?.rows).toBe(2);
    expect(info.tables?.find((table) => table.name === 'odd.new\nline')?.rows).toBe(3);
    // A row added after the dump: a restore test that wrote into the real database would drop it.
    await server.sql('INSERT INTO t VALUES (3)', ODD_DATABASE);
    expect(await source.restoreTest(createReadStream(file), { format: dump.format })).toEqual(info.tables);
    expect(await server.sql('SELECT COUNT(*) FROM t', ODD_DATABASE)).toBe('3');
  });
});
