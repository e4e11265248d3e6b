import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { quoteIdentifier } from '../inspect.js';

export const CHINOOK = fileURLToPath(
  new URL('../../../../../shared/fixtures/chinook/Chinook_Sqlite.sqlite', import.meta.url),
);

export async function copyChinook(dir: string): Promise<string> {
  const path = join(dir, 'chinook.sqlite');
  await copyFile(CHINOOK, path);
  return path;
}

/** A small WAL database with NULLs, blobs, unicode and awkward names, a view, an index and a trigger. */
export function createOddDatabase(path: string): void {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(`
      CREATE TABLE "ünïcode täble" (id INTEGER PRIMARY KEY AUTOINCREMENT, "名前" TEXT, note TEXT, data BLOB, score REAL, big INTEGER);
      CREATE TABLE "we""ird name" (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
      CREATE TABLE empty (x);
      CREATE TABLE log (at TEXT, what TEXT);
      CREATE INDEX "idx 名前" ON "ünïcode täble" ("名前");
      CREATE VIEW totals AS SELECT count(*) AS n, sum(score) AS s FROM "ünïcode täble";
      CREATE TRIGGER remember AFTER INSERT ON "ünïcode täble" BEGIN INSERT INTO log VALUES ('now', NEW."名前"); END;
    `);
    const insert = db.prepare(
      `INSERT INTO "ünïcode täble" ("名前", note, data, score, big) VALUES (?, ?, ?, ?, ?)`,
    );
    insert.run('Zoë 🎉', null, Buffer.from([0, 1, 2, 0, 255]), 1.5, 9007199254740993n);
    insert.run(null, 'line\nbreak', null, null, null);
    insert.run('日本語', '', Buffer.alloc(0), -0.25, -9223372036854775808n);
    insert.run('x'.repeat(10_000), 'long', Buffer.alloc(70_000, 7), 1e300, 0);
    const weird = db.prepare(`INSERT INTO "we""ird name" VALUES (?, ?)`);
    weird.run('a', 1);
    weird.run('b', 'text');
    weird.run('c', Buffer.from('blob'));
    weird.run('d', null);
    weird.run('e', 2.5);
  } finally {
    db.close();
  }
}

/** Schema and every table's rows in a stable order, for deep equality. */
export function readContent(path: string): { schema: unknown[]; tables: Record<string, unknown[]> } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.defaultSafeIntegers(true);
    const schema = db
      .prepare(
        `SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_autoindex%' ESCAPE '\\' ORDER BY type, name`,
      )
      .all();
    const names = db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`,
      )
      .pluck()
      .all() as string[];
    const tables: Record<string, unknown[]> = {};
    for (const name of names) {
      const columns = (db.pragma(`table_info(${quoteIdentifier(name)})`) as unknown[]).length;
      const order = Array.from({ length: columns }, (_, i) => i + 1).join(', ');
      tables[name] = db.prepare(`SELECT * FROM ${quoteIdentifier(name)} ORDER BY ${order}`).all();
    }
    return { schema, tables };
  } finally {
    db.close();
  }
}
