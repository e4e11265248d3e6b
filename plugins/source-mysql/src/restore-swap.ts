import { SourceError } from '@tricopy/contract';
import { RESTORE_SWAP_PREFIX, swapIdOf } from '@tricopy/plugin-support';
import type mysql from 'mysql2/promise';
import { quoteIdent } from './connection.js';
import { createObjects, dropObject, type SchemaContent, schemaContent } from './schema-objects.js';

// `restore --force` restores into new `tricopy_restore_…_new` databases, then moves their tables into the targets
// with one RENAME TABLE (atomic in MariaDB), the targets' old tables going to `…_old` databases in the same
// statement. Views, triggers, routines and events cannot move between databases: they are dropped and re-created
// around the RENAME; that window of a few statements is the only one a kill can leave half done. The restoring
// session holds a named lock (its run id) while its databases exist: a later restore drops only the databases whose
// lock is free (their restore is gone).

export async function lockRun(connection: mysql.Connection, id: string): Promise<void> {
  await connection.query('SELECT GET_LOCK(?, 0)', [id]);
}

/** Drops the databases killed restores left (`tricopy_restore_…`, their run's lock free); returns their names. */
export async function dropLeftovers(connection: mysql.Connection): Promise<string[]> {
  const [schemas] = await connection.query(
    'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE LEFT(SCHEMA_NAME, ?) = ?',
    [RESTORE_SWAP_PREFIX.length, RESTORE_SWAP_PREFIX],
  );
  const dropped: string[] = [];
  for (const { name } of schemas as { name: string }[]) {
    const id = swapIdOf(name);
    if (id === undefined) continue;
    const [got] = await connection.query('SELECT GET_LOCK(?, 0) AS got', [id]);
    if (Number((got as { got: unknown }[])[0]?.got) !== 1) continue;
    try {
      await connection.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
      dropped.push(name);
    } catch {
      // Not ours to drop after all (privileges): left for its owner.
    } finally {
      await connection.query('SELECT RELEASE_LOCK(?)', [id]);
    }
  }
  return dropped;
}

/** A target database, the database its dump was restored into, and where its old tables go. */
export interface SwapPair {
  readonly target: string;
  readonly fresh: string;
  readonly old: string;
}

interface PairContent {
  readonly pair: SwapPair;
  readonly fresh: SchemaContent;
  /** Undefined when the target does not exist yet. */
  readonly old: SchemaContent | undefined;
}

async function schemaExists(connection: mysql.Connection, name: string): Promise<boolean> {
  const [rows] = await connection.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [
    name,
  ]);
  return (rows as unknown[]).length > 0;
}

async function charsetOf(connection: mysql.Connection, name: string): Promise<string> {
  const [rows] = await connection.query(
    'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [name],
  );
  const row = (rows as { cs: string; co: string }[])[0];
  return row === undefined ? '' : ` CHARACTER SET ${row.cs} COLLATE ${row.co}`;
}

/** One RENAME TABLE for every pair: the old tables out of the targets, the restored ones in. */
function renameStatement(contents: readonly PairContent[]): string | undefined {
  const moves: string[] = [];
  const move = (table: string, from: string, to: string) =>
    moves.push(`${quoteIdent(from)}.${quoteIdent(table)} TO ${quoteIdent(to)}.${quoteIdent(table)}`);
  for (const { pair, fresh, old } of contents) {
    for (const table of old?.tables ?? []) move(table, pair.target, pair.old);
    for (const table of fresh.tables) move(table, pair.fresh, pair.target);
  }
  return moves.length === 0 ? undefined : `RENAME TABLE ${moves.join(', ')}`;
}

/** Everything done before the first change to a target: reads, holder databases, the restored triggers dropped. */
async function prepare(connection: mysql.Connection, pairs: readonly SwapPair[]): Promise<PairContent[]> {
  const contents: PairContent[] = [];
  for (const pair of pairs) {
    const exists = await schemaExists(connection, pair.target);
    const old = exists ? await schemaContent(connection, pair.target, false) : undefined;
    contents.push({ pair, fresh: await schemaContent(connection, pair.fresh, true), old });
    await connection.query(
      `CREATE DATABASE ${quoteIdent(pair.old)}${await charsetOf(connection, exists ? pair.target : pair.fresh)}`,
    );
  }
  for (const { pair, fresh } of contents) {
    // A table with triggers cannot change database.
    for (const trigger of fresh.triggers) await dropObject(connection, pair.fresh, trigger);
  }
  return contents;
}

/** The non-atomic window: the old triggers go, the tables move (atomically), the old objects make way for the new. */
async function exchange(connection: mysql.Connection, contents: readonly PairContent[]): Promise<void> {
  for (const { pair, old } of contents) {
    if (old === undefined)
      await connection.query(
        `CREATE DATABASE ${quoteIdent(pair.target)}${await charsetOf(connection, pair.fresh)}`,
      );
    for (const trigger of old?.triggers ?? []) await dropObject(connection, pair.target, trigger);
  }
  const rename = renameStatement(contents);
  if (rename !== undefined) await connection.query(rename);
  for (const { pair, fresh, old } of contents) {
    for (const object of [...(old?.views ?? []), ...(old?.routines ?? []), ...(old?.events ?? [])])
      await dropObject(connection, pair.target, object);
    await createObjects(connection, pair.fresh, pair.target, [
      ...fresh.routines,
      ...fresh.views,
      ...fresh.triggers,
      ...fresh.events,
    ]);
  }
}

/**
 * Replaces each target database by its restored copy. A failure before the RENAME leaves every target as it was;
 * after it, the targets hold the restored tables and the error says which objects are missing and where the old
 * tables are kept.
 */
export async function swapDatabases(
  connection: mysql.Connection,
  instance: string,
  pairs: readonly SwapPair[],
): Promise<void> {
  let contents: PairContent[];
  try {
    contents = await prepare(connection, pairs);
  } catch (error) {
    throw swapError(instance, pairs, 'could not be prepared; the targets are unchanged', error);
  }
  try {
    await exchange(connection, contents);
  } catch (error) {
    throw swapError(
      instance,
      pairs,
      `were only partly replaced: their views, triggers, routines or events may be incomplete; the old tables are kept in ${pairs.map((p) => p.old).join(', ')}`,
      error,
    );
  }
}

function swapError(instance: string, pairs: readonly SwapPair[], what: string, error: unknown): SourceError {
  const targets = pairs.map((pair) => `"${pair.target}"`).join(', ');
  return new SourceError(
    `source "${instance}": the restore completed, but database(s) ${targets} ${what}: ${(error as Error).message}`,
    { cause: error },
  );
}

/** Drops the restored databases (emptied by the swap) and the old tables' databases. */
export async function dropSwapped(connection: mysql.Connection, pairs: readonly SwapPair[]): Promise<void> {
  for (const pair of pairs) {
    await connection.query(`DROP DATABASE IF EXISTS ${quoteIdent(pair.fresh)}`);
    await connection.query(`DROP DATABASE IF EXISTS ${quoteIdent(pair.old)}`);
  }
}

/**
 * After a failed restore or swap: drops the restored databases, and the old tables' databases that hold no table
 * (one that does holds the only copy of a target's old tables: the error named it).
 */
export async function abandonSwap(connection: mysql.Connection, pairs: readonly SwapPair[]): Promise<void> {
  for (const pair of pairs) {
    await connection.query(`DROP DATABASE IF EXISTS ${quoteIdent(pair.fresh)}`);
    const [rows] = await connection.query(
      'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
      [pair.old],
    );
    if (Number((rows as { n: unknown }[])[0]?.n) === 0)
      await connection.query(`DROP DATABASE IF EXISTS ${quoteIdent(pair.old)}`);
  }
}
