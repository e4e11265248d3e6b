import type { Row } from './model.js';

/**
 * What the catalog needs of a database: statements with `?` placeholders (a driver that numbers its placeholders
 * rewrites them), and transactions. Both catalogs (SQLite, PostgreSQL) are the same SQL over one of these.
 */
export interface SqlConnection {
  /** Rows of a query (or of a statement with RETURNING). */
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs `fn` in one transaction on a connection of its own; nothing else done through this one interleaves. */
  transaction<T>(fn: (tx: SqlConnection) => Promise<T>): Promise<T>;
}

export interface SqlDatabase extends SqlConnection {
  close(): Promise<void>;
}
