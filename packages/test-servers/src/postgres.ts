import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { findPostgresBinDir } from './pg-binaries.js';
import { asPgServerUser, osUserIds, PG_OS_USER, runningAsRoot } from './pg-os-user.js';
import { runPsql } from './pg-psql.js';
import { onlyOnce, stopPostmaster } from './pg-stop.js';
import { makeTestCertificates } from './pg-tls.js';
import { startWatchdog } from './pg-watchdog.js';
import { freePort } from './ports.js';
import { makeTempDir } from './temp-dir.js';

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  /** Superuser; over TCP it needs `password` (scram-sha-256). */
  readonly user: string;
  readonly password: string;
  /** Folder holding pg_dump, pg_restore, psql… of the server's version. */
  readonly binDir: string;
  readonly dataDir: string;
  /** Folder of the trusted Unix socket (setup only; the plugin under test should use TCP + password). */
  readonly socketDir: string;
  /** With `tls: true`: the CA that signed the server certificate (for sslrootcert). */
  readonly caFile?: string;
  /**
   * Runs `text` with psql as the superuser over the trusted socket (ON_ERROR_STOP, unaligned, tuples only:
   * `SELECT 1, 'a'` gives `1|a\n`) and returns stdout. Rejects on the first SQL error.
   */
  sql(database: string, text: string): Promise<string>;
  createDatabase(name: string): Promise<void>;
  /**
   * Restarts the server on the same port and data folder, as an administrator or a crash-restart would: every
   * connection is cut (fast shutdown: sessions are terminated), then it accepts connections again.
   */
  restart(): Promise<void>;
  /** Stops the server (immediate mode) and removes its folder. Safe to call more than once. */
  stop(): Promise<void>;
}

export function quotePgIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export interface StartPostgresOptions {
  /** Serve TLS too (ssl=on) with a throwaway CA; clients may still connect without TLS. */
  readonly tls?: boolean;
}

/** Starts a throwaway PostgreSQL cluster on a free 127.0.0.1 port in a temp dir. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = await findPostgresBinDir();
  const asRoot = runningAsRoot();
  const dir = await makeTempDir('pg', 0o755);
  const dataDir = join(dir.path, 'data');
  const socketDir = join(dir.path, 'sock');
  const logFile = join(dir.path, 'server.log');
  const password = randomBytes(18).toString('base64url');
  const port = await freePort();
  const asServerUser = asPgServerUser;

  let postmasterPid: number | undefined;
  let caFile: string | undefined;
  try {
    const pwFile = join(dir.path, 'pwfile');
    await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
    await execa('mkdir', ['-m', '0700', socketDir]);
    if (asRoot) {
      const { uid, gid } = await osUserIds(PG_OS_USER);
      await chown(dir.path, uid, gid);
      await chown(pwFile, uid, gid);
      await chown(socketDir, uid, gid);
    }
    await asServerUser(join(binDir, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      'postgres',
      `--pwfile=${pwFile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ]);
    await rm(pwFile, { force: true });
    let tlsArgs = '';
    if (options.tls) {
      const certDir = join(dir.path, 'certs');
      await mkdir(certDir);
      const certs = await makeTestCertificates(certDir);
      caFile = certs.caFile;
      await chmod(certs.keyFile, 0o600);
      if (asRoot) {
        const { uid, gid } = await osUserIds(PG_OS_USER);
        await chown(certs.keyFile, uid, gid);
        await chown(certs.certFile, uid, gid);
      }
      tlsArgs = ` -c ssl=on -c ssl_cert_file=${certs.certFile} -c ssl_key_file=${certs.keyFile}`;
    }
    await asServerUser(join(binDir, 'pg_ctl'), [
      '-D',
      dataDir,
      '-l',
      logFile,
      '-w',
      '-t',
      '60',
      '-o',
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${socketDir} -c fsync=off -c full_page_writes=off -c synchronous_commit=off${tlsArgs}`,
      'start',
    ]);
    const pidText = await readFile(join(dataDir, 'postmaster.pid'), 'utf8');
    postmasterPid = Number(pidText.split('\n')[0]);
  } catch (error) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    await dir.remove();
    throw new Error(
      `could not start a PostgreSQL test server (as ${asRoot ? PG_OS_USER : userInfo().username}): ${String(error)}\n${log}`,
    );
  }

  let serverPid = postmasterPid;
  let watchdog = startWatchdog(serverPid, dir.path, 'QUIT');
  const readPid = async () =>
    Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);

  const sql = (database: string, text: string) => runPsql({ binDir, socketDir, port }, database, text);

  // pg_ctl restart starts it again with the options of the first start (kept in postmaster.opts).
  const restart = async (): Promise<void> => {
    watchdog.dispose();
    await asServerUser(join(binDir, 'pg_ctl'), [
      '-D',
      dataDir,
      '-l',
      logFile,
      '-m',
      'fast',
      '-w',
      '-t',
      '60',
      'restart',
    ]);
    serverPid = await readPid();
    watchdog = startWatchdog(serverPid, dir.path, 'QUIT');
  };

  const stop = onlyOnce(async () => {
    watchdog.dispose();
    await stopPostmaster(binDir, dataDir, serverPid, 'immediate');
    await dir.remove();
  });

  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    binDir,
    dataDir,
    socketDir,
    ...(caFile === undefined ? {} : { caFile }),
    sql,
    createDatabase: async (name) => {
      await sql('postgres', `CREATE DATABASE ${quotePgIdent(name)}`);
    },
    restart,
    stop,
  };
}
