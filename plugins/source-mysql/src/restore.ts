import type { Readable } from 'node:stream';
import {
  childEnv,
  type Logger,
  type RestoreOptions,
  type RestoreTarget,
  SourceError,
  type TableCount,
} from '@tricopy/contract';
import { feedTool, scratchDatabaseName, swapNames } from '@tricopy/plugin-support';
import type mysql from 'mysql2/promise';
import { binaryVersion, resolveBinary } from './binaries.js';
import { type ConnectionSettings, connect, quoteIdent } from './connection.js';
import {
  applyDatabaseDefaults,
  defaultsClause,
  readDatabaseDefaults,
  recordedDefaults,
} from './database-defaults.js';
import { databasesOf, FORMAT_DATABASES, FORMAT_SINGLE } from './dump.js';
import { clientInvocation } from './options-file.js';
import { readOnlyQuery, singleDatabaseOnly } from './query.js';
import { RestoreRewriter } from './restore-rewriter.js';
import {
  abandonSwap,
  dropLeftovers,
  dropSwapped,
  lockRun,
  type SwapPair,
  swapDatabases,
} from './restore-swap.js';
import { createScratchMarker, scratchDataName } from './scratch.js';

export { RESTORE_TEST_PREFIX } from '@tricopy/plugin-support';

async function withServer<T>(
  settings: ConnectionSettings,
  run: (connection: mysql.Connection) => Promise<T>,
): Promise<T> {
  return withDatabase(settings, undefined, run);
}

async function withDatabase<T>(
  settings: ConnectionSettings,
  database: string | undefined,
  run: (connection: mysql.Connection) => Promise<T>,
): Promise<T> {
  const connection = await connect(settings, database);
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

/**
 * Character set and collation for a restored database: those the backup recorded, else those of `like` (the
 * database it replaces, or the source's) when it exists here.
 */
async function createClause(run: SwapRun, like: string | undefined): Promise<string> {
  const recorded = recordedDefaults(run.options.details);
  if (recorded !== undefined || like === undefined) return defaultsClause(recorded);
  return defaultsClause(await readDatabaseDefaults(run.guard, like));
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
  { name, target, createIfMissing }: { name: string; target: RestoreTarget; createIfMissing: boolean },
): Promise<DatabasePlan> {
  const { instance } = settings;
  // Only data that is there is protected: a missing database (a new server) needs --create-database, not --force.
  if (await exists(connection, name)) {
    if (target.force) return 'replace';
    if (!(await isEmpty(connection, name))) {
      throw new SourceError(
        databasesOf(settings).includes(name)
          ? `source "${instance}": refusing to restore over database "${name}", the very database this job backs up, which holds data: restore into another database, or pass force (tricopy restore --force) to drop and replace it`
          : `source "${instance}": database "${name}" already exists and is not empty: restore into a new database, or pass force (tricopy restore --force) to drop and replace it`,
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
  await withServer(settings, (connection) =>
    planDatabase(settings, connection, { name, target, createIfMissing: true }),
  );
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

/** Where a restore runs: the server, and the plugin's work folder and logger. */
export interface RestoreContext {
  readonly settings: ConnectionSettings;
  readonly workDir: string;
  readonly logger: Logger;
}

/** What the client writes into: one database, or (a dump of several) each under the name `renameDatabases` gives. */
interface ClientTarget {
  readonly database?: string | undefined;
  readonly renameDatabases?: (name: string) => string;
  /** The database named in errors: the target, not the temporary database it is restored in. */
  readonly shownAs?: string;
}

async function runClient(
  { settings, workDir }: Pick<RestoreContext, 'settings' | 'workDir'>,
  input: Readable,
  { database, renameDatabases, shownAs = database }: ClientTarget,
  options: RestoreOptions,
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
      into: shownAs === undefined ? '' : ` into "${shownAs}"`,
      redact: settings.redact,
    });
  } finally {
    await invocation.dispose();
  }
}

/** A restore's options, and what to do once the target exists, before the data goes in (recreate users). */
export type DataRestoreOptions = RestoreOptions & { readonly beforeData?: (() => Promise<void>) | undefined };

export async function restore(
  { settings, workDir, logger }: RestoreContext,
  input: Readable,
  target: RestoreTarget,
  { beforeData, ...options }: DataRestoreOptions,
): Promise<void> {
  options.signal?.throwIfAborted();
  assertKnownFormat(settings, options.format);
  const { instance } = settings;
  const several = options.format === FORMAT_DATABASES;
  if (several && target.database !== undefined) {
    throw new SourceError(
      `source "${instance}": a dump of several databases restores under their original names (${databasesOf(settings).join(', ')}): leave the target database empty`,
    );
  }
  const name = target.database;
  if (!several && (name === undefined || name === '')) {
    throw new SourceError(`source "${instance}": a MySQL/MariaDB restore needs a target database name`);
  }
  await withServer(settings, async (guard) => {
    for (const dropped of await dropLeftovers(guard))
      logger.info(`source "${instance}": dropped database ${dropped}, left by a restore that was killed`);
    const run: SwapRun = { settings, guard, workDir, input, options, beforeData, logger };
    if (several) {
      for (const each of databasesOf(settings))
        await planDatabase(settings, guard, { name: each, target, createIfMissing: false });
      // Without force every database is missing or empty: restored in place, under its own name.
      if (target.force) await restoreAndSwap(run, undefined);
      else await restoreInPlace(run, undefined);
      return;
    }
    const plan = await planDatabase(settings, guard, { name: name!, target, createIfMissing: true });
    if (plan === 'use-empty') await restoreInPlace(run, name);
    else await restoreAndSwap(run, { name: name!, replacing: plan === 'replace' });
    // An existing target (empty, or replaced table by table) keeps its own defaults unless given the backup's.
    await applyDatabaseDefaults(guard, name!, recordedDefaults(options.details));
  });
}

interface SwapRun {
  readonly settings: ConnectionSettings;
  /** Holds the run's lock from before its first database exists until after its last is dropped. */
  readonly guard: mysql.Connection;
  readonly workDir: string;
  readonly input: Readable;
  readonly options: RestoreOptions;
  readonly beforeData: (() => Promise<void>) | undefined;
  readonly logger: Logger;
}

/** Into an existing empty database, or (a dump of several) into missing or empty ones: nothing to lose. */
async function restoreInPlace(run: SwapRun, database: string | undefined): Promise<void> {
  await run.beforeData?.();
  await runClient(run, run.input, { database }, run.options);
}

/**
 * Restores into new databases, then swaps them with the targets (see restore-swap.ts): a failed or interrupted
 * restore leaves the targets as they were.
 */
async function restoreAndSwap(
  run: SwapRun,
  single: { readonly name: string; readonly replacing: boolean } | undefined,
): Promise<void> {
  const { settings, guard, options } = run;
  const names = swapNames();
  await lockRun(guard, names.id);
  const pairs: SwapPair[] = [];
  const pairFor = (target: string) => {
    let pair = pairs.find((each) => each.target === target);
    if (pair === undefined) {
      const index = single === undefined ? pairs.length + 1 : 0;
      pair = { target, fresh: names.fresh(index), old: names.old(index) };
      pairs.push(pair);
    }
    return pair.fresh;
  };
  if (single !== undefined && !(await createFresh(run, pairFor(single.name), single))) {
    await restoreIntoCreated(run, single.name);
    return;
  }
  try {
    await run.beforeData?.();
    const into =
      single === undefined
        ? { renameDatabases: pairFor }
        : { database: pairFor(single.name), shownAs: single.name };
    await runClient(run, run.input, into, options);
    options.signal?.throwIfAborted();
    await swapDatabases(guard, settings.instance, pairs);
  } catch (error) {
    await abandonSwap(guard, pairs).catch(() => {});
    throw error;
  }
  await dropSwapped(guard, pairs).catch((error: unknown) => {
    run.logger.warn(
      `source "${settings.instance}": the restore is complete, but its temporary databases (${names.id}_*) could not be dropped (${(error as Error).message}): drop them yourself`,
    );
  });
}

/** MariaDB's "access denied for user to database" */
const ER_DBACCESS_DENIED_ERROR = 1044;

/**
 * Creates the database a single-database dump is restored into, with the character set of the database it replaces
 * (else of the source). False when the user may not create it, and there is no target to lose (--create-database):
 * then the target itself is created and restored into, as a user limited to some databases can.
 */
async function createFresh(
  run: SwapRun,
  fresh: string,
  single: { readonly name: string; readonly replacing: boolean },
): Promise<boolean> {
  const { guard, settings } = run;
  const like = single.replacing ? single.name : settings.options.database;
  try {
    await guard.query(`CREATE DATABASE ${quoteIdent(fresh)}${await createClause(run, like)}`);
    return true;
  } catch (error) {
    if ((error as { errno?: number }).errno !== ER_DBACCESS_DENIED_ERROR) throw error;
    if (!single.replacing) return false;
    throw new SourceError(
      `source "${settings.instance}": refusing to replace database "${single.name}": restore --force restores into a new database ${fresh} and swaps it in only once complete, and this user may not create it (${(error as Error).message}); grant it ALL ON \`tricopy\\_restore\\_%\`.* (nothing was changed)`,
      { cause: error },
    );
  }
}

/** --create-database without the right to create a temporary database: the new target, dropped if it fails. */
async function restoreIntoCreated(run: SwapRun, name: string): Promise<void> {
  const { guard, settings } = run;
  await guard.query(
    `CREATE DATABASE ${quoteIdent(name)}${await createClause(run, settings.options.database)}`,
  );
  try {
    await restoreInPlace(run, name);
  } catch (error) {
    await guard.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`).catch(() => {});
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
  const where = `source "${settings.instance}"`;
  if (options.inspect !== undefined && options.format === FORMAT_DATABASES) throw singleDatabaseOnly(where);
  await withServer(settings, (connection) => createScratchMarker(connection, run));
  try {
    if (options.format === FORMAT_DATABASES) {
      const rename = (name: string) => {
        if (!scratch.has(name)) scratch.set(name, scratchDataName(run, scratch.size));
        return scratch.get(name)!;
      };
      await runClient({ settings, workDir }, input, { renameDatabases: rename }, options);
    } else {
      const name = scratchDataName(run, 0);
      scratch.set('', name);
      await withServer(settings, (connection) => connection.query(`CREATE DATABASE ${quoteIdent(name)}`));
      await runClient({ settings, workDir }, input, { database: name }, options);
      const inspect = options.inspect;
      if (inspect !== undefined)
        await withDatabase(settings, name, (c) => inspect((sql) => readOnlyQuery(c, sql, where)));
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
