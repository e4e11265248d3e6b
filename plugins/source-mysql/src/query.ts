import { type RestoreOptions, type RestoreTarget, SourceError } from '@tricopy/contract';
import { applyAfterRestore, hasAfterRestore, queryValueText } from '@tricopy/plugin-support';
import type mysql from 'mysql2/promise';
import { type ConnectionSettings, connect } from './connection.js';
import { databasesOf } from './dump.js';

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

/** A restore's `postRestoreSql` (read-write, in order), then its `inspect`, on the restored `database`. */
export async function afterRestore(
  settings: ConnectionSettings,
  database: string,
  options: RestoreOptions,
): Promise<void> {
  if (!hasAfterRestore(options)) return;
  const where = `source "${settings.instance}"`;
  const connection = await connect(settings, database);
  try {
    await applyAfterRestore(options, where, {
      execute: (sql) => connection.query(sql),
      query: (sql) => readOnlyQuery(connection, sql, where),
    });
  } finally {
    await connection.end().catch(() => {});
  }
}

/** A drill's target (`notOwn`) is never a database the job backs up, even with force, and always named. */
export function refuseOwnDatabase(settings: ConnectionSettings, target: RestoreTarget): void {
  if (!target.notOwn) return;
  const where = `source "${settings.instance}"`;
  if (target.database === undefined) throw singleDatabaseOnly(where);
  if (databasesOf(settings).includes(target.database))
    throw new SourceError(
      `${where}: refusing to restore into database "${target.database}", the very database this job backs up: a drill restores into another database`,
    );
}
