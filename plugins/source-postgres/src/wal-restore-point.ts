import type { RestorePointMark, TableCount } from '@tricopy/contract';
import type pg from 'pg';
import { listTables, type TableName, tableLabel } from './catalog.js';
import { quoteIdent } from './connection.js';

/** Writes to the job's tables wait at most this long for the counts (and the lock at most 5 s of it). */
const COUNT_LIMIT = '30s';
const LOCK_LIMIT = '5s';

/**
 * The restore point `name`, with the exact rows of every table at it: the tables are locked against writes (SHARE)
 * while they are counted and the point is created, so no commit to them falls between the counts and the point.
 * Writes wait at most COUNT_LIMIT: a bigger database gives up (the caller reports counts without comparing them).
 * Then the WAL file holding the point is closed, so that the archiver stores it.
 */
export async function markRestorePoint(client: pg.Client, name: string): Promise<RestorePointMark> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = '${LOCK_LIMIT}'`);
    await client.query(`SET LOCAL statement_timeout = '${COUNT_LIMIT}'`);
    const tables = await listTables(client);
    if (tables.length > 0) await client.query(`LOCK TABLE ${tables.map(qualified).join(', ')} IN SHARE MODE`);
    const counts = await countAll(client, tables);
    const point = await client.query<{ wal: string }>(
      'SELECT pg_catalog.pg_walfile_name(pg_catalog.pg_create_restore_point($1)) AS wal',
      [name],
    );
    await client.query('COMMIT');
    await client.query('SELECT pg_catalog.pg_switch_wal()');
    return { wal: point.rows[0]?.wal as string, tables: counts };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

const qualified = (table: TableName) => `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;

/** Every table counted in one statement, so that statement_timeout bounds the whole wait of the writers. */
async function countAll(client: pg.Client, tables: readonly TableName[]): Promise<TableCount[]> {
  if (tables.length === 0) return [];
  const selects = tables.map((table, i) => `SELECT ${i} AS i, count(*) AS rows FROM ${qualified(table)}`);
  const result = await client.query<{ i: number; rows: string }>(selects.join(' UNION ALL '));
  const rows = new Map(result.rows.map((row) => [Number(row.i), Number(row.rows)]));
  return tables.map((table, i) => ({ name: tableLabel(table), rows: rows.get(i) ?? 0, exact: true }));
}
