import type { RestorePointMark } from '@tricopy/contract';
import type pg from 'pg';
import { countRows, listTables } from './catalog.js';
import { quoteIdent } from './connection.js';

/**
 * The restore point `name`, with the exact rows of every table at it: the tables are locked against writes (SHARE)
 * while they are counted and the point is created, so no commit to them falls between the counts and the point.
 * Then the WAL file holding it is closed, so that the archiver stores it.
 */
export async function markRestorePoint(client: pg.Client, name: string): Promise<RestorePointMark> {
  await client.query('BEGIN');
  try {
    const tables = await listTables(client);
    if (tables.length > 0) {
      const names = tables.map((table) => `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`);
      await client.query(`LOCK TABLE ${names.join(', ')} IN SHARE MODE`);
    }
    const counts = await countRows(client, tables);
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
