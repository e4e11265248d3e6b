import type mysql from 'mysql2/promise';
import { quoteIdent } from './connection.js';

/**
 * A database's default character set and collation. A dump of one database has no CREATE DATABASE line, so they are
 * recorded in the manifest's details and given back to the restored database.
 */
export interface DatabaseDefaults {
  readonly characterSet: string;
  readonly collation: string;
}

/** Character set and collation names are plain words; anything else in the details is not used in SQL. */
const NAME = /^[A-Za-z0-9_]+$/;

export async function readDatabaseDefaults(
  connection: mysql.Connection,
  database: string,
): Promise<DatabaseDefaults | undefined> {
  const [rows] = await connection.query(
    'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [database],
  );
  const row = (rows as Array<{ cs: string; co: string }>)[0];
  return row === undefined ? undefined : { characterSet: row.cs, collation: row.co };
}

/** The defaults a backup recorded; undefined for a backup of several databases or made before they were recorded. */
export function recordedDefaults(
  details: Readonly<Record<string, unknown>> | undefined,
): DatabaseDefaults | undefined {
  const { characterSet, collation } = details ?? {};
  if (typeof characterSet !== 'string' || typeof collation !== 'string') return undefined;
  return NAME.test(characterSet) && NAME.test(collation) ? { characterSet, collation } : undefined;
}

/** ` CHARACTER SET … COLLATE …` for CREATE / ALTER DATABASE. */
export function defaultsClause(defaults: DatabaseDefaults | undefined): string {
  return defaults === undefined
    ? ''
    : ` CHARACTER SET ${defaults.characterSet} COLLATE ${defaults.collation}`;
}

/** Gives an existing database the recorded defaults (its tables keep their own); ALTER only when they differ. */
export async function applyDatabaseDefaults(
  connection: mysql.Connection,
  database: string,
  defaults: DatabaseDefaults | undefined,
): Promise<void> {
  if (defaults === undefined) return;
  const current = await readDatabaseDefaults(connection, database);
  if (current?.characterSet === defaults.characterSet && current.collation === defaults.collation) return;
  await connection.query(`ALTER DATABASE ${quoteIdent(database)}${defaultsClause(defaults)}`);
}
