import type pg from 'pg';
import { PG_MIGRATIONS } from './pg-migrations.js';
import { CATALOG_SCHEMA, LOCK_NAMESPACE } from './pg-pool.js';

/**
 * Creates or upgrades the catalog's schema. Every process that opens the catalog calls it; an advisory lock makes
 * concurrent callers take turns, so each migration runs once. Returns the schema version.
 */
export async function migrate(pool: pg.Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_NAMESPACE]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${CATALOG_SCHEMA}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${CATALOG_SCHEMA}.schema_version (version INTEGER NOT NULL)`,
    );
    const current = await schemaVersion(client);
    if (current > PG_MIGRATIONS.length) {
      throw new Error(
        `the catalog was written by a newer tricopy (schema ${current}, this one knows ${PG_MIGRATIONS.length}); upgrade tricopy`,
      );
    }
    for (let version = current; version < PG_MIGRATIONS.length; version++) {
      await client.query(PG_MIGRATIONS[version] as string);
    }
    await client.query(`DELETE FROM ${CATALOG_SCHEMA}.schema_version`);
    await client.query(`INSERT INTO ${CATALOG_SCHEMA}.schema_version (version) VALUES ($1)`, [
      Math.max(current, PG_MIGRATIONS.length),
    ]);
    await client.query('COMMIT');
    return PG_MIGRATIONS.length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function schemaVersion(client: Pick<pg.PoolClient, 'query'>): Promise<number> {
  const result = await client.query(`SELECT max(version) AS version FROM ${CATALOG_SCHEMA}.schema_version`);
  return Number(result.rows[0]?.version ?? 0);
}
