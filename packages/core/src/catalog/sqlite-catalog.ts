import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { IntegrityError, UsageError } from '../util/errors.js';
import type { Catalog } from './catalog.js';
import { MIGRATIONS } from './migrations.js';
import type { Row } from './rows.js';
import { SqlCatalog } from './sql-catalog.js';
import type { SqlConnection, SqlDatabase } from './sql-connection.js';

const REBUILD_HINT =
  'move it aside and run `tricopy catalog rebuild --from DESTINATION` (every destination holds the manifests)';

/** A 0-byte catalog is a truncated one, not a new one: starting afresh would silently forget every backup. */
function refuseEmptyCatalog(path: string): void {
  const size = (file: string) => (existsSync(file) ? statSync(file).size : undefined);
  if (size(path) === 0 && !size(`${path}-wal`)) {
    throw new IntegrityError(
      `the catalog ${path} is empty (0 bytes), so it lost its records: ${REBUILD_HINT}`,
    );
  }
}

/** SQLite's "not a database" and "malformed" errors, as a line that names the file and what to do. */
export function damagedCatalogError(path: string, error: unknown): IntegrityError | undefined {
  const code = String((error as { code?: unknown }).code ?? '');
  if (code !== 'SQLITE_NOTADB' && !code.startsWith('SQLITE_CORRUPT')) return undefined;
  return new IntegrityError(`the catalog ${path} is damaged (${(error as Error).message}): ${REBUILD_HINT}`);
}

/** Opens (creating and migrating as needed) the embedded SQLite catalog at `path`. */
export function openSqliteCatalog(path: string, now: () => Date = () => new Date()): Catalog {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  refuseEmptyCatalog(path);
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    migrate(db);
  } catch (error) {
    db.close();
    throw damagedCatalogError(path, error) ?? error;
  }
  const schemaVersion = async () => userVersion(db);
  return new SqlCatalog(new SqliteDatabase(db), { now, schemaVersion });
}

/**
 * Opens an existing SQLite catalog to read it (catalog copy) without changing the file: it is opened read-only and
 * checked (a SQLite file that is not a tricopy catalog, an application's database given by mistake, is refused, and
 * so is a damaged one), then read into memory, where an older schema is brought up to date.
 */
export function openExistingSqliteCatalog(path: string): Catalog {
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`${path}: no catalog file there`);
  const image = readCheckedCatalog(path);
  const db = new Database(image);
  db.pragma('foreign_keys = ON');
  migrate(db);
  const schemaVersion = async () => userVersion(db);
  return new SqlCatalog(new SqliteDatabase(db), { now: () => new Date(), schemaVersion });
}

/** The catalog file's content, once it has been found to be a sound tricopy catalog. */
function readCheckedCatalog(path: string): Buffer {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    if (!isTricopyCatalog(db)) {
      throw new UsageError(
        `${path} is not a tricopy catalog (it has no catalog schema: give the old catalog.db)`,
      );
    }
    const problem = firstDamage(db);
    if (problem !== undefined) {
      throw new IntegrityError(
        `the catalog ${path} is damaged (${problem}): copy a sound catalog file instead (restore it from your file backups), or run \`tricopy catalog rebuild --from DESTINATION\` into the new catalog`,
      );
    }
    return asRollbackJournal(db.serialize());
  } catch (error) {
    if (damagedCatalogError(path, error) === undefined) throw error;
    throw new UsageError(
      `${path} is not a tricopy catalog (it has no catalog schema: give the old catalog.db)`,
    );
  } finally {
    db?.close();
  }
}

/** A WAL-mode image, marked as a rollback-journal one so that it opens in memory (file format bytes 18 and 19). */
function asRollbackJournal(image: Buffer): Buffer {
  image[18] = 1;
  image[19] = 1;
  return image;
}

function isTricopyCatalog(db: Database.Database): boolean {
  const backups = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'backups'`).get();
  return userVersion(db) > 0 && backups !== undefined;
}

/** What `PRAGMA integrity_check` and `foreign_key_check` find wrong first, if anything. */
function firstDamage(db: Database.Database): string | undefined {
  try {
    const integrity = String(db.pragma('integrity_check', { simple: true }));
    if (integrity !== 'ok') return integrity.split('\n').find((line) => !line.startsWith('***')) ?? integrity;
    const [orphan] = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
    if (orphan !== undefined)
      return `row ${orphan.rowid} of ${orphan.table} refers to a missing ${orphan.parent} row`;
    return undefined;
  } catch (error) {
    if (damagedCatalogError('', error) === undefined) throw error;
    return (error as Error).message;
  }
}

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Database.Database): void {
  const current = userVersion(db);
  if (current > MIGRATIONS.length) {
    throw new Error(
      `the catalog was written by a newer tricopy (schema ${current}, this one knows ${MIGRATIONS.length}); upgrade tricopy`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

/** Statements on the one connection of a transaction in progress: they run at once. */
class SqliteTransaction implements SqlConnection {
  constructor(protected readonly db: Database.Database) {}

  async all(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.db.prepare(sql).all(...params) as Row[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.db.prepare(sql).run(...params).changes;
  }

  transaction<T>(fn: (tx: SqlConnection) => Promise<T>): Promise<T> {
    return fn(this);
  }
}

/**
 * better-sqlite3's one connection. A transaction whose body awaits would let any other statement on the
 * connection run inside it, so every statement waits its turn behind a transaction in progress.
 */
class SqliteDatabase implements SqlDatabase {
  readonly #db: Database.Database;
  readonly #inside: SqliteTransaction;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(db: Database.Database) {
    this.#db = db;
    this.#inside = new SqliteTransaction(db);
  }

  #inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(fn);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  all(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.#inTurn(() => this.#inside.all(sql, params));
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.#inTurn(() => this.#inside.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlConnection) => Promise<T>): Promise<T> {
    return this.#inTurn(async () => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.#inside);
        this.#db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  close(): Promise<void> {
    return this.#inTurn(async () => {
      this.#db.close();
    });
  }
}
