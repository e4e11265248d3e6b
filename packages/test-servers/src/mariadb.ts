import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chown, mkdir, readFile, rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { makeTestCertificates } from './pg-tls.js';
import { startWatchdog } from './pg-watchdog.js';
import { freePort } from './ports.js';
import { makeTempDir } from './temp-dir.js';

export interface MariadbServer {
  readonly host: string;
  readonly port: number;
  /** Unix socket; the OS user running the tests connects as MariaDB root through it without a password. */
  readonly socket: string;
  /** TCP user with all privileges (`tricopy`@`127.0.0.1`, `%` and `localhost`); it needs `password`. */
  readonly user: string;
  readonly password: string;
  /** With `tls: true`: the CA that signed the server certificate (for ssl-ca). */
  readonly caFile?: string;
  /** Server version as reported by mariadbd, e.g. `10.11.19-MariaDB-0+deb12u1`. */
  readonly version: string;
  /** Runs `text` with the mariadb client as root over the socket (batch mode, no column names); returns stdout. */
  sql(text: string, database?: string): Promise<string>;
  /**
   * SIGKILLs mariadbd (a crash: no clean shutdown), keeping its data folder and port. The server runs with
   * innodb-flush-log-at-trx-commit=0, so commits of the last second are lost unless a test first sets it back to 1.
   */
  kill(): Promise<void>;
  /** Starts mariadbd again on the same port and data folder (after kill(); InnoDB recovers the crash). */
  restart(): Promise<void>;
  /** Stops the server and removes its folder. Safe to call more than once. */
  stop(): Promise<void>;
}

const OS_USER = 'mysql';

export function quoteMysqlIdent(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

function toolEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
}

async function findBinary(candidates: readonly string[]): Promise<string> {
  for (const file of candidates) {
    try {
      await access(file);
      return file;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    `MariaDB server binaries not found (${candidates.join(', ')}): run \`bash scripts/install-test-deps.sh\``,
  );
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * mariadb-install-db, tried again on a fresh data directory when it fails: on a loaded machine with several servers
 * bootstrapping at once it was seen failing once ("Unknown table mysql.tmp_user_sys") where a second run passes.
 */
async function installDataDir(installDb: string, dataDir: string, args: readonly string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await execa(installDb, args, { env: toolEnv(), extendEnv: false });
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
      await rm(dataDir, { recursive: true, force: true });
    }
  }
}

export interface StartMariadbOptions {
  /** Serve TLS too, with a throwaway CA; clients may still connect without TLS unless their user requires it. */
  readonly tls?: boolean;
}

/** Starts a throwaway MariaDB server on a free 127.0.0.1 port in a temp dir. */
export async function startMariadb(options: StartMariadbOptions = {}): Promise<MariadbServer> {
  const installDb = await findBinary(['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db']);
  const mariadbd = await findBinary(['/usr/sbin/mariadbd', '/usr/sbin/mysqld']);
  const client = await findBinary(['/usr/bin/mariadb', '/usr/bin/mysql']);
  const admin = await findBinary(['/usr/bin/mariadb-admin', '/usr/bin/mysqladmin']);
  const asRoot = process.getuid?.() === 0;
  const socketUser = asRoot ? 'root' : userInfo().username;
  const dir = await makeTempDir('mariadb', 0o755);
  const dataDir = join(dir.path, 'data');
  const tmpDir = join(dir.path, 'tmp');
  const socket = join(dir.path, 'mariadb.sock');
  const logFile = join(dir.path, 'error.log');
  const port = await freePort();
  const password = randomBytes(18).toString('base64url');
  const userArgs = asRoot ? [`--user=${OS_USER}`] : [];
  const clientArgs = [
    '--no-defaults',
    `--user=${socketUser}`,
    `--socket=${socket}`,
    '--default-character-set=utf8mb4',
  ];

  const sql = async (text: string, database?: string): Promise<string> => {
    const args = [
      ...clientArgs,
      '--batch',
      '--skip-column-names',
      ...(database === undefined ? [] : [database]),
    ];
    const result = await execa(client, args, { input: text, env: toolEnv(), extendEnv: false });
    return result.stdout;
  };

  const serverArgs = [
    '--no-defaults',
    ...userArgs,
    `--datadir=${dataDir}`,
    `--tmpdir=${tmpDir}`,
    `--socket=${socket}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--skip-name-resolve',
    '--skip-log-bin',
    `--log-error=${logFile}`,
    `--pid-file=${join(dir.path, 'mariadb.pid')}`,
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    '--innodb-buffer-pool-size=64M',
    '--innodb-flush-log-at-trx-commit=0',
    '--innodb-doublewrite=0',
    '--sync-binlog=0',
  ];
  const tlsArgs: string[] = [];
  const launch = () => spawn(mariadbd, [...serverArgs, ...tlsArgs], { stdio: 'ignore', env: toolEnv() });
  const waitReady = async (started: ChildProcess): Promise<void> => {
    for (let attempt = 0; attempt < 300; attempt++) {
      if (started.exitCode !== null || started.signalCode !== null) break;
      const ping = await execa(admin, [...clientArgs, '--connect-timeout=2', 'ping'], {
        env: toolEnv(),
        extendEnv: false,
        reject: false,
      });
      if (ping.exitCode === 0) return;
      await sleep(100);
    }
    throw new Error('mariadbd did not answer a ping within 30 s');
  };

  let child: ChildProcess | undefined;
  let caFile: string | undefined;
  try {
    await mkdir(tmpDir);
    if (options.tls) {
      const certDir = join(dir.path, 'certs');
      await mkdir(certDir, { mode: 0o755 });
      const certs = await makeTestCertificates(certDir);
      caFile = certs.caFile;
      if (asRoot) {
        const uid = Number((await execa('id', ['-u', OS_USER])).stdout.trim());
        await chown(certs.keyFile, uid, -1);
      }
      tlsArgs.push(`--ssl-ca=${certs.caFile}`, `--ssl-cert=${certs.certFile}`, `--ssl-key=${certs.keyFile}`);
    }
    if (asRoot) {
      const uid = Number((await execa('id', ['-u', OS_USER])).stdout.trim());
      const gid = Number((await execa('id', ['-g', OS_USER])).stdout.trim());
      await chown(dir.path, uid, gid);
      await chown(tmpDir, uid, gid);
    }
    await installDataDir(installDb, dataDir, [
      '--no-defaults',
      ...userArgs,
      `--datadir=${dataDir}`,
      '--auth-root-authentication-method=socket',
      `--auth-root-socket-user=${socketUser}`,
      '--skip-test-db',
      '--skip-name-resolve',
    ]);
    child = launch();
    await waitReady(child);
  } catch (error) {
    if (child?.pid !== undefined) {
      child.kill('SIGKILL');
      await exited(child);
    }
    const log = await readFile(logFile, 'utf8').catch(() => '');
    await dir.remove();
    throw new Error(`could not start a MariaDB test server: ${String(error)}\n${log}`);
  }

  let server = child;
  let watchdog = startWatchdog(server.pid!, dir.path, 'TERM');
  const kill = async (): Promise<void> => {
    watchdog.dispose();
    server.kill('SIGKILL');
    await exited(server);
  };
  const restart = async (): Promise<void> => {
    await kill();
    server = launch();
    watchdog = startWatchdog(server.pid!, dir.path, 'TERM');
    await waitReady(server);
  };
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      watchdog.dispose();
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 30_000);
      await exited(server);
      clearTimeout(timer);
      await dir.remove();
    })();
    return stopping;
  };

  try {
    const user = 'tricopy';
    const statements = ['127.0.0.1', '%', 'localhost'].flatMap((host) => [
      `CREATE USER '${user}'@'${host}' IDENTIFIED BY '${password}';`,
      `GRANT ALL PRIVILEGES ON *.* TO '${user}'@'${host}' WITH GRANT OPTION;`,
    ]);
    await sql(statements.join('\n'));
    const version = (await sql('SELECT VERSION();')).trim();
    return {
      host: '127.0.0.1',
      port,
      socket,
      user,
      password,
      version,
      ...(caFile === undefined ? {} : { caFile }),
      sql,
      kill,
      restart,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
