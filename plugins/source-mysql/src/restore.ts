import type { Readable } from 'node:stream';
import {
  childEnv,
  type RestoreOptions,
  type RestoreTarget,
  SourceError,
  type TableCount,
} from '@tricopy/contract';
import { feedTool, scratchDatabaseName } from '@tricopy/plugin-support';
import type mysql from 'mysql2/promise';
import { binaryVersion, resolveBinary } from './binaries.js';
import { type ConnectionSettings, connect, quoteIdent } from './connection.js';
import { databasesOf, FORMAT_DATABASES, FORMAT_SINGLE } from './dump.js';
import { clientInvocation } from './options-file.js';
import { RestoreRewriter } from './restore-rewriter.js';
import { createScratchMarker, scratchDataName } from './scratch.js';

export { RESTORE_TEST_PREFIX } from '@tricopy/plugin-support';

async function withServer<T>(
  settings: ConnectionSettings,
  run: (connection: mysql.Connection) => Promise<T>,
): Promise<T> {
  const connection = await connect(settings);
  try {
    return await run(connection);
  } finally {
    await connection.end().catch(() => {});
  }
}

async function exists(connection: mysql.Connection, name: string): Promise<boolean> {
  const [rows] = await connection.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [
    name,
  ]);
  return (rows as unknown[]).length > 0;
}

async function isEmpty(connection: mysql.Connection, name: string): Promise<boolean> {
  const [rows] = await connection.query(
    `SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?)
          + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?)
          + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?) AS n`,
    [name, name, name],
  );
  return Number((rows as Array<{ n: string | number }>)[0]!.n) === 0;
}

/** Character set and collation of the source database, so a restored database gets the same defaults. */
async function createClause(connection: mysql.Connection, like: string | undefined): Promise<string> {
  if (like === undefined) return '';
  const [rows] = await connection.query(
    'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [like],
  );
  const row = (rows as Array<{ cs: string; co: string }>)[0];
  return row === undefined ? '' : ` CHARACTER SET ${row.cs} COLLATE ${row.co}`;
}

function assertKnownFormat(settings: ConnectionSettings, format: string): void {
  if (format !== FORMAT_SINGLE && format !== FORMAT_DATABASES) {
    throw new SourceError(
      `source "${settings.instance}": cannot restore format "${format}" with MySQL/MariaDB (expected ${FORMAT_SINGLE} or ${FORMAT_DATABASES})`,
    );
  }
}

type DatabasePlan = 'replace' | 'use-empty' | 'create' | 'leave-missing';

/** The force / createDatabase rules for one database, read-only: what a restore would do, or why it is refused. */
async function planDatabase(
  settings: ConnectionSettings,
  connection: mysql.Connection,
  name: string,
  target: RestoreTarget,
  createIfMissing: boolean,
): Promise<DatabasePlan> {
  const { instance } = settings;
  if (databasesOf(settings).includes(name) && !target.force) {
    throw new SourceError(
      `source "${instance}": refusing to restore over database "${name}", the very database this job backs up: restore into another database, or pass force (tricopy restore --force) to drop and replace it`,
    );
  }
  if (await exists(connection, name)) {
    if (target.force) return 'replace';
    if (!(await isEmpty(connection, name))) {
      throw new SourceError(
        `source "${instance}": database "${name}" already exists and is not empty: restore into a new database, or pass force (tricopy restore --force) to drop and replace it`,
      );
    }
    return 'use-empty';
  }
  if (!createIfMissing) return 'leave-missing';
  if (!target.createDatabase) {
    throw new SourceError(
      `source "${instance}": database "${name}" does not exist: create it first or pass createDatabase (tricopy restore --create-database)`,
    );
  }
  return 'create';
}

/**
 * Checks a named target database as `restore` would, changing nothing. Without a name (a dump of several databases
 * restores under their own names) the check waits for the restore, which knows the dump's format.
 */
export async function checkTarget(settings: ConnectionSettings, target: RestoreTarget): Promise<void> {
  const name = target.database;
  if (name === undefined || name === '') return;
  await withServer(settings, (connection) => planDatabase(settings, connection, name, target, true));
}

/** Applies force / createDatabase rules to one database; returns whether it was (re)created here. */
async function prepareDatabase(
  settings: ConnectionSettings,
  connection: mysql.Connection,
  name: string,
  target: RestoreTarget,
  createIfMissing: boolean,
): Promise<boolean> {
  const plan = await planDatabase(settings, connection, name, target, createIfMissing);
  if (plan === 'use-empty' || plan === 'leave-missing') return false;
  const like = settings.options.database;
  if (plan === 'replace') {
    const clause = await createClause(connection, like === name ? undefined : like);
    await connection.query(`DROP DATABASE ${quoteIdent(name)}`);
    await connection.query(`CREATE DATABASE ${quoteIdent(name)}${clause}`);
    return true;
  }
  await connection.query(`CREATE DATABASE ${quoteIdent(name)}${await createClause(connection, like)}`);
  return true;
}

/** 10.5.25, 10.6.18, 10.11.8, 11.0.6, 11.1.5, 11.2.4, 11.4.2 and later understand the sandbox line. */
export function clientUnderstandsSandbox(version: string, mariadb: boolean): boolean {
  if (!mariadb) return false;
  const [major = 0, minor = 0, patch = 0] = version.split(/[.-]/).map(Number);
  const minimum: Record<string, number> = {
    '10.5': 25,
    '10.6': 18,
    '10.11': 8,
    '11.0': 6,
    '11.1': 5,
    '11.2': 4,
    '11.4': 2,
  };
  const floor = minimum[`${major}.${minor}`];
  if (floor !== undefined) return patch >= floor;
  return major > 11 || (major === 11 && minor > 4);
}

async function runClient(
  settings: ConnectionSettings,
  workDir: string,
  input: Readable,
  database: string | undefined,
  options: RestoreOptions,
  renameDatabases?: (name: string) => string,
): Promise<void> {
  const { instance } = settings;
  const client = await resolveBinary(
    settings.options.clientBinary,
    ['mariadb', 'mysql'],
    'clientBinary',
    settings.configDir,
    instance,
  );
  const version = await binaryVersion(client, childEnv(), instance);
  const invocation = await clientInvocation(settings, workDir, version.mariadb);
  try {
    const rewriter = new RestoreRewriter({
      dropSandboxLine: !clientUnderstandsSandbox(version.text, version.mariadb),
      stripDefiners: settings.options.definers === 'strip',
      ...(renameDatabases === undefined ? {} : { renameDatabases }),
    });
    await feedTool({
      file: client,
      args: [...invocation.args, '--batch', ...(database === undefined ? [] : [`--database=${database}`])],
      env: invocation.env,
      streams: [input, rewriter],
      signal: options.signal,
      instance,
      tool: client,
      into: database === undefined ? '' : ` into "${database}"`,
      redact: settings.redact,
    });
  } finally {
    await invocation.dispose();
  }
}

export async function restore(
  settings: ConnectionSettings,
  workDir: string,
  input: Readable,
  target: RestoreTarget,
  options: RestoreOptions,
  beforeData?: () => Promise<void>,
): Promise<void> {
  options.signal?.throwIfAborted();
  assertKnownFormat(settings, options.format);
  const { instance } = settings;
  if (options.format === FORMAT_DATABASES) {
    if (target.database !== undefined) {
      throw new SourceError(
        `source "${instance}": a dump of several databases restores under their original names (${databasesOf(settings).join(', ')}): leave the target database empty`,
      );
    }
    await withServer(settings, async (connection) => {
      for (const name of databasesOf(settings))
        await prepareDatabase(settings, connection, name, target, false);
    });
    await beforeData?.();
    await runClient(settings, workDir, input, undefined, options);
    return;
  }
  const name = target.database;
  if (name === undefined || name === '') {
    throw new SourceError(`source "${instance}": a MySQL/MariaDB restore needs a target database name`);
  }
  const created = await withServer(settings, (connection) =>
    prepareDatabase(settings, connection, name, target, true),
  );
  try {
    await beforeData?.();
    await runClient(settings, workDir, input, name, options);
  } catch (error) {
    if (created) {
      await withServer(settings, (connection) =>
        connection.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`),
      ).catch(() => {});
    }
    throw error;
  }
}

async function countTables(connection: mysql.Connection, database: string, label: (table: string) => string) {
  const [rows] = await connection.query(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'",
    [database],
  );
  const counts: TableCount[] = [];
  for (const { name } of rows as Array<{ name: string }>) {
    const [result] = await connection.query(
      `SELECT COUNT(*) AS n FROM ${quoteIdent(database)}.${quoteIdent(name)}`,
    );
    counts.push({
      name: label(name),
      rows: Number((result as Array<{ n: string | number }>)[0]!.n),
      exact: true,
    });
  }
  return counts;
}

export async function restoreTest(
  settings: ConnectionSettings,
  workDir: string,
  input: Readable,
  options: RestoreOptions,
): Promise<readonly TableCount[]> {
  options.signal?.throwIfAborted();
  assertKnownFormat(settings, options.format);
  const run = scratchDatabaseName();
  const scratch = new Map<string, string>();
  await withServer(settings, (connection) => createScratchMarker(connection, run));
  try {
    if (options.format === FORMAT_DATABASES) {
      const rename = (name: string) => {
        if (!scratch.has(name)) scratch.set(name, scratchDataName(run, scratch.size));
        return scratch.get(name)!;
      };
      await runClient(settings, workDir, input, undefined, options, rename);
    } else {
      const name = scratchDataName(run, 0);
      scratch.set('', name);
      await withServer(settings, (connection) => connection.query(`CREATE DATABASE ${quoteIdent(name)}`));
      await runClient(settings, workDir, input, name, options);
    }
    return await withServer(settings, async (connection) => {
      const counts: TableCount[] = [];
      for (const [original, name] of scratch) {
        counts.push(
          ...(await countTables(connection, name, (table) =>
            original === '' ? table : `${original}.${table}`,
          )),
        );
      }
      return counts.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  } finally {
    await withServer(settings, async (connection) => {
      // The marker last: a sweep finds what a killed restore test left only through it.
      for (const name of [...scratch.values(), run])
        await connection.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
    });
  }
}
