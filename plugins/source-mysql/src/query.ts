import { SourceError } from '@tricopy/contract';
import { queryValueText } from '@tricopy/plugin-support';
import type mysql from 'mysql2/promise';

/**
 * Runs one statement (the connection refuses several) in a read-only transaction that is rolled back; the session
 * is read-only too, so a statement that commits implicitly (DDL) does not leave it.
 */
export async function readOnlyQuery(
  connection: mysql.Connection,
  sql: string,
  where: string,
): Promise<string | null> {
  await connection.query('SET SESSION TRANSACTION READ ONLY');
  await connection.query('START TRANSACTION READ ONLY');
  try {
    const [rows] = await connection.query({ sql, rowsAsArray: true });
    return queryValueText(Array.isArray(rows) ? (rows[0] as unknown[] | undefined)?.[0] : undefined);
  } catch (error) {
    throw new SourceError(`${where}: the query failed: ${(error as Error).message}`, { cause: error });
  } finally {
    await connection.query('ROLLBACK').catch(() => {});
  }
}

/** Assertions name tables unqualified: with several databases in one dump they could not tell which. */
export function singleDatabaseOnly(where: string): SourceError {
  return new SourceError(
    `${where}: assertions need a job that backs up one database (set database, not databases)`,
  );
}
