import { type RestoreOptions, type RestoreTarget, SourceError } from '@tricopy/contract';
import { applyAfterRestore, hasAfterRestore, queryValueText } from '@tricopy/plugin-support';
import type pg from 'pg';
import { type ConnectionSettings, connect } from './connection.js';

/** Every value as the text PostgreSQL sends: no parsing into numbers or dates. */
const AS_TEXT = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/**
 * Runs one statement in a read-only transaction that is rolled back, through the extended protocol (one statement
 * only: a `; COMMIT; …` in `sql` is a syntax error, not a way out of the transaction).
 */
export async function readOnlyQuery(client: pg.Client, sql: string, where: string): Promise<string | null> {
  await client.query('BEGIN READ ONLY');
  try {
    // queryMode (pg 8.12+) is missing from @types/pg.
    const query = {
      text: sql,
      rowMode: 'array',
      queryMode: 'extended',
      types: AS_TEXT,
    } as pg.QueryArrayConfig;
    const result = await client.query(query);
    return queryValueText((result.rows[0] as unknown[] | undefined)?.[0]);
  } catch (error) {
    throw new SourceError(`${where}: the query failed: ${(error as Error).message}`, { cause: error });
  } finally {
    await client.query('ROLLBACK').catch(() => {});
  }
}

/** `readOnlyQuery` in a session of its own on `database`. */
export async function queryDatabase(
  settings: ConnectionSettings,
  database: string,
  sql: string,
): Promise<string | null> {
  const client = await connect(settings, database);
  try {
    return await readOnlyQuery(client, sql, `source "${settings.instance}"`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A restore's `postRestoreSql` (read-write, in order), then its `inspect`, on the restored `database`. */
export async function afterRestore(
  settings: ConnectionSettings,
  database: string,
  options: RestoreOptions,
): Promise<void> {
  if (!hasAfterRestore(options)) return;
  const where = `source "${settings.instance}"`;
  const client = await connect(settings, database);
  try {
    await applyAfterRestore(options, where, {
      execute: (sql) => client.query(sql),
      query: (sql) => readOnlyQuery(client, sql, where),
    });
  } finally {
    await client.end().catch(() => {});
  }
}

/** A drill's target (`notOwn`) is never the database the job backs up, even with force. */
export function refuseOwnDatabase(settings: ConnectionSettings, target: RestoreTarget): void {
  if (target.notOwn && target.database === settings.options.database)
    throw new SourceError(
      `source "${settings.instance}": refusing to restore into database "${target.database}", the very database this job backs up: a drill restores into another database`,
    );
}
