import type { Row, SqlConnection, SqlDatabase } from '@tricopy/core';
import type pg from 'pg';
import { numberPlaceholders } from './pg-pool.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

/** Statements on one connection: a pooled one for a transaction, or the pool itself. */
class PgConnection implements SqlConnection {
  constructor(
    protected readonly db: Queryable,
    protected readonly ready: () => Promise<void>,
  ) {}

  async all(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    await this.ready();
    const result = await this.db.query(numberPlaceholders(sql), [...params]);
    return result.rows as Row[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    await this.ready();
    const result = await this.db.query(numberPlaceholders(sql), [...params]);
    return result.rowCount ?? 0;
  }

  transaction<T>(fn: (tx: SqlConnection) => Promise<T>): Promise<T> {
    // Already inside one (this connection is a transaction's).
    return fn(this);
  }
}

/** The catalog's database through a pool; `ready` resolves once its schema is migrated. */
export class PgDatabase extends PgConnection implements SqlDatabase {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool, ready: () => Promise<void>) {
    super(pool, ready);
    this.#pool = pool;
  }

  override async transaction<T>(fn: (tx: SqlConnection) => Promise<T>): Promise<T> {
    await this.ready();
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new PgConnection(client, this.ready));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
