// Table names with a newline, a tab, a backslash, quotes, spaces and non-ASCII letters: the dump's manifest lists
// every table with its row count, and a restore test counts the same.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ODD_TABLE_NAMES, testContext } from '@tricopy/testkit';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import plugin, { SQLITE_FORMAT, sqliteOptionsSchema } from './index.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-sqlite-odd-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sqlite source: odd table names', () => {
  it('lists every table with its row count, and the restore test counts the same', async () => {
    const path = join(dir, 'odd.db');
    const db = new Database(path);
    for (const [name, rows] of Object.entries(ODD_TABLE_NAMES)) {
      const table = `"${name.replaceAll('"', '""')}"`;
      db.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY)`);
      const insert = db.prepare(`INSERT INTO ${table} (id) VALUES (?)`);
      for (let id = 1; id <= rows; id++) insert.run(id);
    }
    db.close();
    const source = await plugin.create(
      sqliteOptionsSchema.parse({ path }),
      testContext({ name: 'app', configDir: dir, workDir: join(dir, 'work') }),
    );
    const dump = await source.dump();
    const file = join(dir, 'dump.sqlite');
    await pipeline(dump.stream, createWriteStream(file));
    const info = await dump.completion;
    expect(Object.fromEntries((info.tables ?? []).map((table) => [table.name, table.rows]))).toEqual(
      ODD_TABLE_NAMES,
    );
    expect(await source.restoreTest(createReadStream(file), { format: SQLITE_FORMAT })).toEqual(info.tables);
  });
});
