import { randomUUID } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { IntegrityError, UsageError } from '../util/errors.js';
import type { Catalog } from './catalog.js';
import { MIGRATIONS } from './migrations.js';
import type { Row } from './rows.js';
import { SqlCatalog } from './sql-catalog.js';
import type { SqlConnection, SqlDatabase } from './sql-connection.js';
import {
  catalogAccessError,
  createPrivately,
  damagedCatalogError,
  refuseEmptyCatalog,
  sameFileCheck,
} from './sqlite-file.js';

export interface SqliteCatalogOptions {
  /**
   * The command only reads the catalog (list, restore): it is opened read-only, so that it works on a read-only
   * file system too. A catalog that does not exist yet is created as usual.
   */
  readonly readOnly?: boolean;
}

/**
 * Opens (creating and migrating as needed) the embedded SQLite catalog at `path`. Every statement first checks that
 * the file is still the one opened, and so does closing it.
 */
export function openSqliteCatalog(
  path: string,
  now: () => Date = () => new Date(),
  options: SqliteCatalogOptions = {},
): Catalog {
  const db = options.readOnly && existsSync(path) ? openForReading(path) : openForWriting(path);
  const schemaVersion = async () => userVersion(db);
  return new SqlCatalog(new SqliteDatabase(db, sameFileCheck(path)), { now, schemaVersion });
}

function openForWriting(path: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    refuseEmptyCatalog(path);
    createWhole(path);
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    migrate(db);
    return db;
  } catch (error) {
    db?.close();
    throw damagedCatalogError(path, error) ?? catalogAccessError(path, error) ?? error;
  }
}

/**
 * A new catalog appears whole: made and migrated beside its path, then linked into place. A process opening it
 * meanwhile (`tricopy wal` and `tricopy backup` started together) never sees the empty file a truncated catalog is.
 */
function createWhole(path: string): void {
  if (existsSync(path)) return;
  const made = `${path}.new-${randomUUID()}`;
  try {
    createPrivately(made);
    const db = new Database(made);
    try {
      db.pragma('journal_mode = WAL');
      migrate(db);
    } finally {
      db.close();
    }
    linkSync(made, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    for (const file of [made, `${made}-wal`, `${made}-shm`]) rmSync(file, { force: true });
  }
}

/**
 * The catalog opened read-only; when that cannot be done in place (an older schema to bring up to date, or a WAL
 * catalog whose -shm file cannot be created on a read-only file system), a copy of it in memory.
 */
function openForReading(path: string): Database.Database {
  refuseEmptyCatalog(path);
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 10000');
    if (userVersion(db) === MIGRATIONS.length) return db;
  } catch (error) {
    db?.close();
    db = undefined;
    const unopenable = (error as { code?: unknown }).code === 'SQLITE_CANTOPEN' && !hasWalFrames(path);
    if (!unopenable) throw damagedCatalogError(path, error) ?? catalogAccessError(path, error) ?? error;
  }
  try {
    const image = db?.serialize() ?? readFileSync(path);
    const memory = new Database(asRollbackJournal(image));
    memory.pragma('foreign_keys = ON');
    migrate(memory);
    return memory;
  } catch (error) {
    throw damagedCatalogError(path, error) ?? error;
  } finally {
    db?.close();
  }
}

/** Whether a -wal file holds changes not yet in the main file (which alone would then be out of date). */
function hasWalFrames(path: string): boolean {
  return existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0;
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
    // IMMEDIATE, and the version read again inside: another tricopy opening the same catalog may have migrated it.
    db.transaction(() => {
      if (userVersion(db) !== version) return;
      db.exec(MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
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
  /** Throws when the catalog file is no longer the one opened. */
  readonly #checkFile: () => void;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(db: Database.Database, checkFile: () => void = () => {}) {
    this.#db = db;
    this.#inside = new SqliteTransaction(db);
    this.#checkFile = checkFile;
  }

  #inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(() => {
      this.#checkFile();
      return fn();
    });
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

  /** Closes the connection, then fails if the file was replaced meanwhile: the last records went with it. */
  close(): Promise<void> {
    const closing = this.#queue.then(() => this.#db.close());
    this.#queue = closing.catch(() => undefined);
    return closing.then(() => this.#checkFile());
  }
}
