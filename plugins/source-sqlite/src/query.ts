import { SourceError } from '@tricopy/contract';
import { queryValueText } from '@tricopy/plugin-support';
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
