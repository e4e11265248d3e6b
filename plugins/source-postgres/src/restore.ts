import type { Readable } from 'node:stream';
import {
  type Logger,
  type RestoreOptions,
  type RestoreTarget,
  SourceError,
  type TableCount,
} from '@tricopy/contract';
import { feedTool, scratchDatabaseName, swapNames } from '@tricopy/plugin-support';
import type pg from 'pg';
import { applyDatabaseProperties } from './apply-database-properties.js';
import { resolveTool } from './binaries.js';
import { countRows, listTables } from './catalog.js';
import { type ConnectionSettings, connect, quoteIdent } from './connection.js';
import { createFailure } from './createdb.js';
import { recordedProperties } from './database-properties.js';
import { readOnlyQuery } from './query.js';
import { createFresh, dropLeftovers, type FreshOptions, lockRun, swapIn } from './restore-swap.js';
import { createScratchDatabase } from './scratch.js';
import { dbnameConninfo, toolEnv } from './tool-env.js';

export { RESTORE_TEST_PREFIX } from '@tricopy/plugin-support';

async function withMaintenance<T>(
  settings: ConnectionSettings,
  run: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connect(settings, settings.options.maintenanceDatabase);
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function databaseExists(client: pg.Client, name: string): Promise<boolean> {
  const result = await client.query('SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1', [name]);
  return result.rowCount === 1;
}

/** Any relation, function or type outside the system schemas, or any schema besides public. */
async function databaseIsEmpty(settings: ConnectionSettings, name: string): Promise<boolean> {
  const client = await connect(settings, name);
  try {
    const result = await client.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema')
            + (SELECT count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema')
            + (SELECT count(*) FROM pg_catalog.pg_namespace n
                WHERE n.nspname !~ '^pg_' AND n.nspname NOT IN ('information_schema', 'public')) AS n`,
    );
    return Number(result.rows[0]!.n) === 0;
  } finally {
    await client.end().catch(() => {});
  }
}

async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
}

type TargetPlan = 'replace' | 'use-empty' | 'create';

/** The force / createDatabase rules, read-only: what a restore into `target` would do, or why it is refused. */
async function planTarget(
  settings: ConnectionSettings,
  client: pg.Client,
  target: RestoreTarget,
): Promise<{ name: string; plan: TargetPlan }> {
  const { instance, options } = settings;
  const name = target.database;
  if (name === undefined || name === '') {
    throw new SourceError(`source "${instance}": a PostgreSQL restore needs a target database name`);
  }
  // Only data that is there is protected: a missing database (a new server) needs --create-database, not --force.
  if (await databaseExists(client, name)) {
    if (target.force) return { name, plan: 'replace' };
    if (!(await databaseIsEmpty(settings, name))) {
      throw new SourceError(
        name === options.database
          ? `source "${instance}": refusing to restore over database "${name}", the very database this job backs up, which holds data: restore into another database, or pass force (tricopy restore --force) to drop and replace it`
          : `source "${instance}": database "${name}" already exists and is not empty: restore into a new database, or pass force (tricopy restore --force) to drop and replace it`,
      );
    }
    return { name, plan: 'use-empty' };
  }
  if (!target.createDatabase) {
    throw new SourceError(
      `source "${instance}": database "${name}" does not exist: create it first or pass createDatabase (tricopy restore --create-database)`,
    );
  }
  return { name, plan: 'create' };
}

/** Checks the target as `restore` would, changing nothing. */
export async function checkTarget(settings: ConnectionSettings, target: RestoreTarget): Promise<void> {
  await withMaintenance(settings, (client) => planTarget(settings, client, target));
}

/** Where a restore runs: the server, and the plugin's work folder and logger. */
export interface RestoreContext {
  readonly settings: ConnectionSettings;
  readonly workDir: string;
  readonly logger: Logger;
}

/** The database a restore tool writes into. */
interface ToolTarget {
  readonly database: string;
  readonly noOwner: boolean;
  /** The database named in errors: the target, not the temporary database it is restored in. */
  readonly shownAs?: string;
}

/** Feeds `input` to pg_restore (custom) or psql (plain) inside one transaction; any error fails the restore. */
async function runRestoreTool(
  { settings, workDir }: Pick<RestoreContext, 'settings' | 'workDir'>,
  input: Readable,
  { database, noOwner, shownAs = database }: ToolTarget,
  options: RestoreOptions,
): Promise<void> {
  const { instance } = settings;
  const custom = options.format === 'pg-custom';
  const tool = custom ? 'pg_restore' : 'psql';
  const file = await resolveTool(tool, settings.options, settings.configDir, instance);
  const conninfo = dbnameConninfo(database);
  const args = custom
    ? [
        '--no-password',
        '--exit-on-error',
        '--single-transaction',
        // Targets are new or empty: nothing to drop, but a dump made with --schema=public creates schema public.
        '--clean',
        '--if-exists',
        ...(noOwner ? ['--no-owner', '--no-privileges'] : []),
        `--dbname=${conninfo}`,
      ]
    : [
        '--no-password',
        '--no-psqlrc',
        '--quiet',
        '--single-transaction',
        '--set=ON_ERROR_STOP=1',
        `--dbname=${conninfo}`,
        '--file=-',
      ];
  const tools = await toolEnv(settings, workDir);
  try {
    await feedTool({
      file,
      args,
      env: tools.env,
      streams: [input],
      signal: options.signal,
      instance,
      tool,
      into: ` into "${shownAs}"`,
      redact: settings.redact,
    });
  } finally {
    await tools.dispose();
  }
}

function assertKnownFormat(settings: ConnectionSettings, format: string): void {
  if (format !== 'pg-custom' && format !== 'pg-plain') {
    throw new SourceError(
      `source "${settings.instance}": cannot restore format "${format}" with PostgreSQL (expected pg-custom or pg-plain)`,
    );
  }
}

/** A restore's options, and what to do once the target exists, before the data goes in (recreate roles). */
export type DataRestoreOptions = RestoreOptions & { readonly beforeData?: (() => Promise<void>) | undefined };

export async function restore(
  context: RestoreContext,
  input: Readable,
  target: RestoreTarget,
  options: DataRestoreOptions,
): Promise<void> {
  const { settings, logger } = context;
  const { beforeData } = options;
  options.signal?.throwIfAborted();
  assertKnownFormat(settings, options.format);
  await withMaintenance(settings, async (guard) => {
    for (const name of await dropLeftovers(guard))
      logger.info(
        `source "${settings.instance}": dropped database ${name}, left by a restore that was killed`,
      );
    const { name, plan } = await planTarget(settings, guard, target);
    const properties = recordedProperties(options.details);
    const restoreInto = async (database: string) => {
      await beforeData?.();
      await runRestoreTool(
        context,
        input,
        { database, noOwner: settings.options.noOwner, shownAs: name },
        options,
      );
      if (properties === undefined) return;
      await applyDatabaseProperties(guard, database, properties, {
        instance: settings.instance,
        logger,
        noOwner: settings.options.noOwner,
        globals: options.globals === true,
        shownAs: name,
        inPlace: plan === 'use-empty',
      });
    };
    // One transaction: a failure or a kill leaves the empty database empty.
    if (plan === 'use-empty') await restoreInto(name);
    else {
      const swap = {
        replacing: plan === 'replace',
        fresh: {
          copyPrivileges: properties === undefined,
          locale: properties?.locale,
          warn: (message: string) => logger.warn(message),
        },
        restoreInto,
        signal: options.signal,
      };
      await restoreAndSwap(context, guard, name, swap);
    }
  });
}

/** How a restore into a new database is swapped in: over an existing target or not, and what fills it. */
interface Swap {
  readonly replacing: boolean;
  readonly fresh: FreshOptions;
  readonly restoreInto: (database: string) => Promise<void>;
  readonly signal: AbortSignal | undefined;
}

/**
 * Restores into a new database, then renames it into place in one transaction (replacing the target): until then
 * the target is untouched, whatever happens. The replaced database is dropped afterwards.
 */
async function restoreAndSwap(
  { settings, logger }: RestoreContext,
  guard: pg.Client,
  name: string,
  { replacing, fresh, restoreInto, signal }: Swap,
): Promise<void> {
  const { instance } = settings;
  const names = swapNames();
  await lockRun(guard, names.id);
  await createFresh(guard, { instance, fresh: names.fresh(), like: replacing ? name : undefined }, fresh);
  try {
    await restoreInto(names.fresh());
    signal?.throwIfAborted();
    await swapIn(guard, instance, { target: name, names, replacing });
  } catch (error) {
    await dropDatabase(guard, names.fresh()).catch(() => {});
    throw error;
  }
  if (!replacing) return;
  await dropDatabase(guard, names.old()).catch((error: unknown) => {
    logger.warn(
      `source "${instance}": database "${name}" is restored, but its old content, now database ${names.old()}, could not be dropped (${(error as Error).message}): drop it yourself`,
    );
  });
}

export async function restoreTest(
  settings: ConnectionSettings,
  workDir: string,
  input: Readable,
  options: RestoreOptions,
): Promise<readonly TableCount[]> {
  options.signal?.throwIfAborted();
  assertKnownFormat(settings, options.format);
  const scratch = scratchDatabaseName();
  await withMaintenance(settings, (client) =>
    createScratchDatabase(client, scratch).catch((error: unknown) => {
      throw createFailure(settings, `the scratch database ${scratch} a restore test restores into`, error);
    }),
  );
  try {
    // Roles and grants of the source may not exist here; ownership is not what a restore test checks.
    await runRestoreTool({ settings, workDir }, input, { database: scratch, noOwner: true }, options);
    const client = await connect(settings, scratch);
    try {
      await options.inspect?.((sql) => readOnlyQuery(client, sql, `source "${settings.instance}"`));
      return await countRows(client, await listTables(client));
    } finally {
      await client.end().catch(() => {});
    }
  } finally {
    await withMaintenance(settings, (client) => dropDatabase(client, scratch));
  }
}
