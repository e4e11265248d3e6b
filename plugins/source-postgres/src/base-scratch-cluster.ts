import { constants } from 'node:fs';
import { access, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { childEnv, createFileExclusive, SourceError } from '@tricopy/contract';
import { execa } from 'execa';
import pg from 'pg';
import { appendAutoConf, confString } from './base-conf.js';
import type { ConnectionSettings } from './connection.js';

/** Any port: the scratch server listens on no TCP address, only on a socket in its private folder. */
const PORT = 5432;
/** How long pg_ctl may wait for the server to finish recovery and accept connections. */
const START_SECONDS = 3600;
/** How often to ask whether recovery is over. */
const RECHECK_MS = 250;
/** Connection failures in a row (other than "starting up") before the failure is the answer. */
const MAX_REFUSALS = 20;

export interface ScratchPaths {
  readonly dataDir: string;
  readonly scratch: string;
  readonly socketDir: string;
}

async function exists(path: string): Promise<boolean> {
  return access(path, constants.F_OK).then(
    () => true,
    () => false,
  );
}

/**
 * Makes a restored data directory start as a private scratch server: no TCP, a socket in its own folder, trust
 * on that socket only, no archiving, no TLS; the cluster's own pg_hba.conf and postgresql.conf settings that point
 * elsewhere are overridden (postgresql.auto.conf is read last). A missing postgresql.conf (Debian keeps it in /etc)
 * is created empty; a standby.signal is removed so the server promotes.
 */
export async function prepareScratchCluster({ dataDir, scratch, socketDir }: ScratchPaths): Promise<void> {
  if (!(await exists(join(dataDir, 'postgresql.conf')))) {
    await createFileExclusive(join(dataDir, 'postgresql.conf'), '');
  }
  await createFileExclusive(join(scratch, 'pg_hba.conf'), 'local all all trust\n');
  await createFileExclusive(join(scratch, 'pg_ident.conf'), '');
  await rm(join(dataDir, 'standby.signal'), { force: true });
  await appendAutoConf(dataDir, 'scratch server of a tricopy restore test', [
    "listen_addresses = ''",
    `port = ${PORT}`,
    `unix_socket_directories = ${confString(socketDir)}`,
    'unix_socket_permissions = 0700',
    `hba_file = ${confString(join(scratch, 'pg_hba.conf'))}`,
    `ident_file = ${confString(join(scratch, 'pg_ident.conf'))}`,
    'archive_mode = off',
    'ssl = off',
    'logging_collector = off',
    "primary_conninfo = ''",
    // Without hot standby the server accepts connections only once recovery is over and it is promoted.
    'hot_standby = off',
  ]);
}

export interface ScratchCluster {
  readonly where: string;
  connect(database: string): Promise<pg.Client>;
  /** Resolves once the server is out of recovery; throws when it is not. */
  waitUntilPromoted(): Promise<void>;
  stop(): Promise<void>;
}

export interface ScratchStart extends ScratchPaths {
  readonly settings: ConnectionSettings;
  readonly pgCtl: string;
  readonly signal: AbortSignal | undefined;
}

/** pg_ctl hands -D and -l to a shell inside double quotes: these characters would be read by it. */
function assertShellSafe(settings: ConnectionSettings, path: string): void {
  if (/["$`\\]/.test(path)) {
    throw new SourceError(
      `source "${settings.instance}": the work folder ${path} holds a character pg_ctl cannot pass (" $ \` \\): use a plain work folder for restore tests`,
    );
  }
}

/** What the server says to a client it turns away while it starts: not why it stopped. */
const TURNED_AWAY =
  /the database system is (starting up|in recovery mode|not accepting connections|shutting down)/;

/** The first FATAL / PANIC the server logged (not a client turned away), for a one-line error. */
async function serverComplaint(logFile: string): Promise<string> {
  const log = await readFile(logFile, 'utf8').catch(() => '');
  const line = log.split('\n').find((text) => /\b(FATAL|PANIC):/.test(text) && !TURNED_AWAY.test(text));
  return line?.replace(/^.*?\b(FATAL|PANIC):\s*/, '') ?? 'see its log';
}

/** Starts PostgreSQL on the prepared scratch data directory (pg_ctl -w). */
export async function startScratch(start: ScratchStart): Promise<ScratchCluster> {
  const { settings, pgCtl, dataDir, scratch, socketDir, signal } = start;
  const logFile = join(scratch, 'server.log');
  assertShellSafe(settings, dataDir);
  const where = `source "${settings.instance}" (restore-test server)`;
  const run = (args: string[]) =>
    execa(pgCtl, ['-D', dataDir, ...args], {
      env: childEnv(),
      extendEnv: false,
      reject: false,
      ...(signal === undefined ? {} : { cancelSignal: signal }),
    });
  const stop = async () => {
    await run(['-m', 'immediate', '-w', '-t', '60', 'stop']);
  };
  const started = await run(['-l', logFile, '-w', '-t', String(START_SECONDS), 'start']);
  if (started.exitCode !== 0) {
    const why = signal?.aborted ? 'the restore test was cancelled' : await serverComplaint(logFile);
    await stop();
    throw new SourceError(
      `source "${settings.instance}": PostgreSQL did not start on the restored base backup: ${why}`,
      { details: `${started.stderr}\n${await readFile(logFile, 'utf8').catch(() => '')}`.trim() },
    );
  }
  const connect = async (database: string) => {
    const client = new pg.Client({ host: socketDir, port: PORT, user: settings.options.user, database });
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => {});
      throw new SourceError(
        `${where}: cannot connect to database "${database}": ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    return client;
  };
  const running = async () => (await run(['status'])).exitCode === 0;
  return {
    where,
    connect,
    stop,
    waitUntilPromoted: () =>
      waitUntilPromoted({
        where,
        connect: () => connect(settings.options.maintenanceDatabase),
        running,
        logFile,
        signal,
      }),
  };
}

interface PromotionWait {
  readonly where: string;
  readonly connect: () => Promise<pg.Client>;
  readonly running: () => Promise<boolean>;
  readonly logFile: string;
  readonly signal: AbortSignal | undefined;
}

/** 57P03: the server is starting, or recovering without hot standby: ask again. */
function notYet(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code === '57P03';
}

/** Whether the server is out of recovery; `waiting` while it does not accept connections (or the connect error). */
async function promoted(connect: () => Promise<pg.Client>): Promise<boolean | { waiting: unknown }> {
  let client: pg.Client;
  try {
    client = await connect();
  } catch (error) {
    return { waiting: error };
  }
  try {
    const result = await client.query<{ recovering: boolean }>('SELECT pg_is_in_recovery() AS recovering');
    return result.rows[0]?.recovering === false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * pg_ctl -w returns once recovery is consistent, even without hot standby: the server may still replay WAL, or stop
 * because it cannot reach its recovery target. Waits until it is promoted, or says why it stopped.
 */
async function waitUntilPromoted({ where, connect, running, logFile, signal }: PromotionWait): Promise<void> {
  const deadline = Date.now() + START_SECONDS * 1000;
  let refused = 0;
  for (;;) {
    signal?.throwIfAborted();
    const state = await promoted(connect);
    if (state === true) return;
    if (!(await running())) {
      throw new SourceError(
        `${where}: PostgreSQL stopped during recovery of the restored base backup: ${await serverComplaint(logFile)}`,
      );
    }
    // A server that is stopping may already have closed its socket: only an error that lasts is the answer.
    refused = typeof state === 'object' && !notYet(state.waiting) ? refused + 1 : 0;
    if (typeof state === 'object' && refused > MAX_REFUSALS) throw state.waiting;
    if (Date.now() > deadline) {
      throw new SourceError(`${where}: PostgreSQL was still recovering after ${START_SECONDS} s`);
    }
    await delay(RECHECK_MS, undefined, signal === undefined ? {} : { signal });
  }
}
