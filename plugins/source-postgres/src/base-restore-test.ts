import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type Logger, type RestoreOptions, SourceError, type TableCount } from '@tricopy/contract';
import { restoreBase } from './base-restore.js';
import { prepareScratchCluster, type ScratchCluster, startScratch } from './base-scratch-cluster.js';
import { SOCKET_DIR_PREFIX } from './base-scratch-sweep.js';
import { resolveTool } from './binaries.js';
import { countRows, listTables } from './catalog.js';
import type { ConnectionSettings } from './connection.js';
import { readOnlyQuery } from './query.js';

export { sweepBaseScratch } from './base-scratch-sweep.js';

export interface BaseTestContext {
  readonly settings: ConnectionSettings;
  readonly logger: Logger;
  readonly workDir: string;
}

/** A Unix socket path must fit in sun_path (108 bytes): `<dir>/.s.PGSQL.5432` beyond that needs a shorter dir. */
const MAX_SOCKET_DIR = 90;

function refuseRoot(settings: ConnectionSettings): void {
  if (process.getuid?.() !== 0) return;
  throw new SourceError(
    `source "${settings.instance}": a restore test of a base backup starts PostgreSQL, which refuses to run as root: run tricopy as the PostgreSQL OS user, e.g. runuser -u postgres -- tricopy …`,
  );
}

/**
 * The scratch folder, in the run's work folder (the engine removes it with a killed run), and the folder of the
 * server's socket: the scratch folder itself unless its path is too long for a socket.
 */
async function makeScratch(workDir: string): Promise<{ scratch: string; socketDir: string }> {
  const scratch = join(workDir, `restore-test-${randomBytes(4).toString('hex')}`);
  await mkdir(scratch, { mode: 0o700 });
  await chmod(scratch, 0o700);
  if (scratch.length <= MAX_SOCKET_DIR) return { scratch, socketDir: scratch };
  return { scratch, socketDir: await mkdtemp(join(tmpdir(), SOCKET_DIR_PREFIX)) };
}

async function countAndInspect(cluster: ScratchCluster, database: string, options: RestoreOptions) {
  const client = await cluster.connect(database);
  try {
    await options.inspect?.((sql) => readOnlyQuery(client, sql, cluster.where));
    return await countRows(client, await listTables(client));
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Restores a base backup into a scratch data directory, starts PostgreSQL on it (Unix socket only, in a private
 * folder), waits until it is out of recovery, runs `inspect` and counts the rows of the job's database; stops the
 * server and removes everything, also on failure. Without `options.recovery` the server replays only the WAL the
 * backup holds (crash recovery from backup_label); with it, the archive up to the target.
 */
export async function restoreTestBase(
  { settings, logger, workDir }: BaseTestContext,
  input: Readable,
  options: RestoreOptions,
): Promise<readonly TableCount[]> {
  refuseRoot(settings);
  const { options: pgOptions, configDir, instance } = settings;
  const pgCtl = await resolveTool('pg_ctl', pgOptions, configDir, instance);
  const { scratch, socketDir } = await makeScratch(workDir);
  const dataDir = join(scratch, 'data');
  try {
    await restoreBase({ settings, logger }, input, { directory: dataDir }, options);
    await prepareScratchCluster({ dataDir, scratch, socketDir });
    const cluster = await startScratch({
      settings,
      pgCtl,
      dataDir,
      scratch,
      socketDir,
      signal: options.signal,
    });
    try {
      await cluster.waitUntilPromoted();
      return await countAndInspect(cluster, pgOptions.database, options);
    } finally {
      await cluster.stop();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
    if (socketDir !== scratch) await rm(socketDir, { recursive: true, force: true });
  }
}
