import { type RestoreOptions, SourceError } from '@tricopy/contract';
import { applyAfterRestore, queryValueText } from '@tricopy/plugin-support';
import Database from 'better-sqlite3';

/** Runs one statement (better-sqlite3 refuses several) on `file` opened read-only. */
export function readOnlyQuery(
  file: string,
  sql: string,
  where: string,
  busyTimeoutMs: number,
): string | null {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    const row = db.prepare(sql).raw(true).get() as unknown[] | undefined;
    return queryValueText(row?.[0]);
  } catch (error) {
    throw new SourceError(`${where}: the query failed: ${(error as Error).message}`, { cause: error });
  } finally {
    db?.close();
  }
}

/** A restore's `postRestoreSql` (read-write, in order), then its `inspect`, on the restored `file`. */
export async function afterRestore(
  file: string,
  options: RestoreOptions,
  where: string,
  busyTimeoutMs: number,
): Promise<void> {
  const writes = (options.postRestoreSql ?? []).length > 0;
  const db = writes ? new Database(file, { fileMustExist: true, timeout: busyTimeoutMs }) : undefined;
  try {
    await applyAfterRestore(options, where, {
      execute: async (sql) => db?.exec(sql),
      query: async (sql) => readOnlyQuery(file, sql, where, busyTimeoutMs),
    });
  } finally {
    db?.close();
  }
}
