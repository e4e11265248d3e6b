import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { childEnv, createFileExclusive } from '@tricopy/contract';
import type { ConnectionSettings } from './connection.js';
import { resolvePath } from './connection.js';

/** A libpq connection string holding only `dbname`: a database name such as `host=x` cannot inject settings. */
export function dbnameConninfo(database: string): string {
  return `dbname='${database.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function pgpassField(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll(':', '\\:');
}

export interface ToolEnv {
  readonly env: Record<string, string>;
  /** Removes the temporary password file. */
  dispose(): Promise<void>;
}

/**
 * Environment for pg_dump / pg_restore / psql. The password travels in a 0600 pgpass file in the run's work
 * folder (removed by `dispose`), never in argv.
 */
export async function toolEnv(settings: ConnectionSettings, workDir: string): Promise<ToolEnv> {
  const { options } = settings;
  const env: Record<string, string> = {
    // Every PG* variable is ours, so nothing from the parent's environment changes what is dumped.
    ...childEnv(),
    PGHOST: options.host,
    PGPORT: String(options.port),
    PGUSER: options.user,
    PGSSLMODE: options.sslmode,
    PGCONNECT_TIMEOUT: String(options.connectTimeoutSeconds),
    PGAPPNAME: 'tricopy',
    PGCLIENTENCODING: 'UTF8',
  };
  if (options.sslrootcert !== undefined)
    env.PGSSLROOTCERT = resolvePath(settings.configDir, options.sslrootcert);
  const passFile = join(workDir, `.pgpass-${randomBytes(8).toString('hex')}`);
  if (settings.password !== undefined) {
    await createFileExclusive(passFile, `*:*:*:*:${pgpassField(settings.password)}\n`);
  }
  // Even without a password: an empty PGPASSFILE path keeps ~/.pgpass of the user running tricopy out of play.
  env.PGPASSFILE = passFile;
  return { env, dispose: () => rm(passFile, { force: true }) };
}
