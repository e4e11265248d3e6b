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
 * Opens an existing SQLite catalog to read it (catalog copy), after checking, read-only, that the file is one: a
 * SQLite file that is not a tricopy catalog (an application's database given by mistake) is refused, never migrated.
 */
export function openExistingSqliteCatalog(path: string): Catalog {
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`${path}: no catalog file there`);
  if (!isTricopyCatalog(path)) {
    throw new UsageError(
      `${path} is not a tricopy catalog (it has no catalog schema: give the old catalog.db)`,
    );
  }
  return openSqliteCatalog(path);
}

function isTricopyCatalog(path: string): boolean {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const backups = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'backups'`).get();
    return userVersion(db) > 0 && backups !== undefined;
  } catch (error) {
    if (damagedCatalogError(path, error) !== undefined) return false;
    throw error;
  } finally {
    db?.close();
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
