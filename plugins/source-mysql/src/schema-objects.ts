import type mysql from 'mysql2/promise';
import { quoteIdent } from './connection.js';

/** A view, trigger, routine or event: how to drop it, and (read from a restored database) how to create it. */
export interface SchemaObject {
  /** `VIEW`, `TRIGGER`, `PROCEDURE`, `FUNCTION` or `EVENT`. */
  readonly kind: string;
  readonly name: string;
  /** The CREATE statement as SHOW CREATE gives it, with the sql_mode it was created under. */
  readonly create?: { readonly sql: string; readonly sqlMode: string };
}

export interface SchemaContent {
  /** Tables RENAME TABLE can move to another database (base tables, sequences, system-versioned tables). */
  readonly tables: readonly string[];
  readonly triggers: readonly SchemaObject[];
  readonly views: readonly SchemaObject[];
  readonly routines: readonly SchemaObject[];
  readonly events: readonly SchemaObject[];
}

type Row = Record<string, unknown>;

async function rows(connection: mysql.Connection, sql: string, values: unknown[]): Promise<Row[]> {
  const [result] = await connection.query(sql, values);
  return result as Row[];
}

async function names(connection: mysql.Connection, sql: string, schema: string): Promise<Row[]> {
  return rows(connection, sql, [schema]);
}

/** SHOW CREATE <kind> of one object: its statement and sql_mode. */
async function showCreate(
  connection: mysql.Connection,
  schema: string,
  kind: string,
  name: string,
): Promise<SchemaObject['create']> {
  const [row] = await rows(connection, `SHOW CREATE ${kind} ${quoteIdent(schema)}.${quoteIdent(name)}`, []);
  const column =
    kind === 'TRIGGER' ? 'SQL Original Statement' : `Create ${kind[0]}${kind.slice(1).toLowerCase()}`;
  return { sql: String(row?.[column]), sqlMode: String(row?.sql_mode ?? '') };
}

async function objects(
  connection: mysql.Connection,
  { schema, withCreate }: { schema: string; withCreate: boolean },
  listed: Row[],
  kindOf: (row: Row) => string,
): Promise<SchemaObject[]> {
  const found: SchemaObject[] = [];
  for (const row of listed) {
    const kind = kindOf(row);
    const name = String(row.name);
    found.push(
      withCreate ? { kind, name, create: await showCreate(connection, schema, kind, name) } : { kind, name },
    );
  }
  return found;
}

/**
 * What a database holds, for moving its tables with RENAME TABLE and re-creating the rest elsewhere. With
 * `withCreate`, views are read with `schema` as the current database, so their references to its own tables stay
 * unqualified and follow the tables.
 */
export async function schemaContent(
  connection: mysql.Connection,
  schema: string,
  withCreate: boolean,
): Promise<SchemaContent> {
  if (withCreate) await connection.query(`USE ${quoteIdent(schema)}`);
  const tables = await names(
    connection,
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'VIEW' ORDER BY 1",
    schema,
  );
  const triggers = await names(
    connection,
    `SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?
      ORDER BY EVENT_OBJECT_TABLE, EVENT_MANIPULATION, ACTION_TIMING, ACTION_ORDER`,
    schema,
  );
  const views = await names(
    connection,
    'SELECT TABLE_NAME AS name FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY 1',
    schema,
  );
  const routines = await names(
    connection,
    `SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS kind FROM information_schema.ROUTINES
      WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION') ORDER BY 1`,
    schema,
  );
  const events = await names(
    connection,
    'SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY 1',
    schema,
  );
  const reading = { schema, withCreate };
  return {
    tables: tables.map((row) => String(row.name)),
    triggers: await objects(connection, reading, triggers, () => 'TRIGGER'),
    views: await objects(connection, reading, views, () => 'VIEW'),
    routines: await objects(connection, reading, routines, (row) => String(row.kind)),
    events: await objects(connection, reading, events, () => 'EVENT'),
  };
}

export async function dropObject(
  connection: mysql.Connection,
  schema: string,
  object: SchemaObject,
): Promise<void> {
  await connection.query(`DROP ${object.kind} IF EXISTS ${quoteIdent(schema)}.${quoteIdent(object.name)}`);
}

/**
 * Creates `objects` (read from database `from`) in database `into`, under their own sql_mode. Views that use other
 * views are retried until all exist; the first statement that still fails is thrown.
 */
export async function createObjects(
  connection: mysql.Connection,
  from: string,
  into: string,
  objects: readonly SchemaObject[],
): Promise<void> {
  await connection.query(`USE ${quoteIdent(into)}`);
  const [saved] = await rows(connection, 'SELECT @@SESSION.sql_mode AS mode', []);
  try {
    await createInOrder(connection, `${quoteIdent(from)}.`, `${quoteIdent(into)}.`, objects);
  } finally {
    await connection.query('SET SESSION sql_mode = ?', [saved?.mode ?? '']);
  }
}

async function createInOrder(
  connection: mysql.Connection,
  qualified: string,
  requalified: string,
  objects: readonly SchemaObject[],
): Promise<void> {
  let pending = [...objects];
  while (pending.length > 0) {
    const failed: { object: SchemaObject; error: unknown }[] = [];
    for (const object of pending) {
      const create = object.create!;
      try {
        await connection.query('SET SESSION sql_mode = ?', [create.sqlMode]);
        await connection.query(create.sql.replaceAll(qualified, requalified));
      } catch (error) {
        failed.push({ object, error });
      }
    }
    if (failed.length === pending.length) throw failed[0]!.error;
    pending = failed.map((entry) => entry.object);
  }
}
