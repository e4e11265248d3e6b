import { isAbandonedScratch, RESTORE_TEST_PREFIX } from '@tricopy/plugin-support';
import type mysql from 'mysql2/promise';
import { type ConnectionSettings, connect, quoteIdent } from './connection.js';

/**
 * A restore test first creates its run's marker database (`tricopy_restoretest_t…_<random>`, holding only this
 * table), then restores into `<marker>_0`, `<marker>_1`…. The sweep drops only the databases of marked runs, so a
 * database someone else named `tricopy_restoretest_*` (a restore of their own, say) is never touched.
 */
const MARKER_TABLE = 'tricopy_restore_test';

/** Creates the marker database of a restore test's run. */
export async function createScratchMarker(connection: mysql.Connection, run: string): Promise<void> {
  await connection.query(`CREATE DATABASE ${quoteIdent(run)}`);
  await connection.query(`CREATE TABLE ${quoteIdent(run)}.${MARKER_TABLE} (created_by VARCHAR(64))`);
}

/** The name of a run's `index`th scratch database. */
export function scratchDataName(run: string, index: number): string {
  return `${run}_${index}`;
}

/**
 * Drops the restore-test databases a killed restore test left: those of marked runs created before `olderThan`,
 * none in use; the marker goes last, once its run's databases are gone. Returns their names; one that cannot be
 * dropped is left and skipped.
 */
export async function dropAbandonedScratch(settings: ConnectionSettings, olderThan: Date): Promise<string[]> {
  const connection = await connect(settings);
  try {
    const marked = await namesOf(
      connection,
      'SELECT TABLE_SCHEMA AS name FROM information_schema.TABLES WHERE TABLE_NAME = ? AND LEFT(TABLE_SCHEMA, ?) = ?',
      [MARKER_TABLE, RESTORE_TEST_PREFIX.length, RESTORE_TEST_PREFIX],
    );
    const schemas = await namesOf(
      connection,
      'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE LEFT(SCHEMA_NAME, ?) = ?',
      [RESTORE_TEST_PREFIX.length, RESTORE_TEST_PREFIX],
    );
    const inUse = new Set(
      await namesOf(
        connection,
        'SELECT DISTINCT DB AS name FROM information_schema.PROCESSLIST WHERE DB IS NOT NULL',
      ),
    );
    const dropped: string[] = [];
    for (const run of marked.filter((name) => isAbandonedScratch(name, olderThan))) {
      const own = schemas.filter((name) => isDataOf(run, name));
      for (const name of [...own, run]) {
        if (inUse.has(name) || !(await dropDatabase(connection, name))) break;
        dropped.push(name);
      }
    }
    return dropped;
  } finally {
    await connection.end().catch(() => {});
  }
}

function isDataOf(run: string, name: string): boolean {
  return name.startsWith(`${run}_`) && /^\d+$/.test(name.slice(run.length + 1));
}

async function namesOf(connection: mysql.Connection, sql: string, values: unknown[] = []): Promise<string[]> {
  const [rows] = await connection.query(sql, values);
  return (rows as { name: string }[]).map((row) => row.name);
}

function dropDatabase(connection: mysql.Connection, name: string): Promise<boolean> {
  return connection.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`).then(
    () => true,
    () => false,
  );
}
