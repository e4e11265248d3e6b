import { chown, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findPostgresBinDir } from './pg-binaries.js';
import { asPgServerUser, osUserIds, PG_OS_USER, runningAsRoot } from './pg-os-user.js';
import { runPsql } from './pg-psql.js';
import { onlyOnce, stopPostmaster } from './pg-stop.js';
import { startWatchdog } from './pg-watchdog.js';
import { freePort } from './ports.js';
import { makeTempDir } from './temp-dir.js';

export interface DataDirServer {
  readonly port: number;
  readonly socketDir: string;
  /** The server's log (stderr of the server and of its restore_command). */
  readonly logFile: string;
  /** psql as the superuser `postgres` over the trusted socket, as PostgresServer.sql. */
  sql(database: string, text: string): Promise<string>;
  readLog(): Promise<string>;
  /** Waits until recovery has ended and the server accepts writes; rejects with the log after `timeoutMs`. */
  waitForPromotion(timeoutMs: number): Promise<void>;
  /** Stops the server (fast mode) and removes its socket/log folder; the data directory is left as it is. */
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL on a data directory that already exists (a restored base backup, say) with `pg_ctl start`, on a
 * free 127.0.0.1 port and a private socket folder, as the OS user `postgres` when the suite runs as root (the
 * directory must then belong to that user). Recovery settings in the directory (recovery.signal,
 * postgresql.auto.conf) apply as they would for a user.
 */
export async function startPostgresOnDataDir(
  dataDir: string,
  options: { readonly env?: Readonly<Record<string, string>> } = {},
): Promise<DataDirServer> {
  const binDir = await findPostgresBinDir();
  const dir = await makeTempDir('pgdir', 0o755);
  const socketDir = dir.path;
  const logFile = join(dir.path, 'server.log');
  if (runningAsRoot()) {
    const { uid, gid } = await osUserIds(PG_OS_USER);
    await chown(dir.path, uid, gid);
  }
  const port = await freePort();
  const readLog = () => readFile(logFile, 'utf8').catch(() => '');
  try {
    await asPgServerUser(
      join(binDir, 'pg_ctl'),
      [
        '-D',
        dataDir,
        '-l',
        logFile,
        '-w',
        '-t',
        '120',
        '-o',
        `-c listen_addresses=127.0.0.1 -p ${port} -k ${socketDir} -c fsync=off`,
        'start',
      ],
      options.env,
    );
  } catch (error) {
    const log = await readLog();
    await dir.remove();
    throw new Error(`pg_ctl start on ${dataDir} failed: ${String(error)}\n${log}`);
  }
  const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const watchdog = startWatchdog(pid, dir.path, 'QUIT');
  const sql = (database: string, text: string) => runPsql({ binDir, socketDir, port }, database, text);

  const waitForPromotion = async (timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const inRecovery = await sql('postgres', 'SELECT pg_is_in_recovery()').catch(() => 't');
      if (inRecovery.trim() === 'f') return;
      if (Date.now() > deadline) {
        throw new Error(
          `the server on ${dataDir} was still in recovery after ${timeoutMs} ms:\n${await readLog()}`,
        );
      }
      await sleep(200);
    }
  };

  const stop = onlyOnce(async () => {
    watchdog.dispose();
    await stopPostmaster(binDir, dataDir, pid, 'fast');
    await dir.remove();
  });

  return { port, socketDir, logFile, sql, readLog, waitForPromotion, stop };
}
