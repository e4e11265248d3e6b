// The servers and workspace of the PITR e2e: PostgreSQL with a REPLICATION role (password over TCP), sshd and
// s3rver as the other e2e files start them, and a workspace owned by the OS user the CLI runs as (postgres when the
// suite runs as root). Secrets reach tricopy through files (`passwordFile`, `${file:…}`), never its environment:
// the restore_command PostgreSQL runs needs them too, and it inherits the server's environment, not the test's.
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type PostgresServer,
  type S3Server,
  type SshdServer,
  startPostgres,
  startS3,
  startSshd,
} from '@tricopy/test-servers';
import type { CliResult } from './cli.js';
import { type Archiver, startArchiver } from './pitr-archiver.js';
import {
  assertReachable,
  makePitrWorkspace,
  type PitrWorkspace,
  pitrRunAs,
  type RunAs,
  runCliAs,
} from './pitr-user.js';
import { s3Destination } from './remote-env.js';
import { startedGroup } from './started-group.js';

/** The login the job uses: REPLICATION (base backups, slots, pg_receivewal) and pg_switch_wal, nothing more. */
export const PITR_ROLE = 'tricopy_pitr';
export const PITR_DATABASE = 'shop';
export const PITR_DESTINATIONS = ['local', 'nas', 'cloud'] as const;
export type PitrDestination = (typeof PITR_DESTINATIONS)[number];

export interface PitrEnv {
  readonly pg: PostgresServer;
  readonly sshd: SshdServer;
  readonly s3: S3Server;
  readonly user: RunAs;
  readonly ws: PitrWorkspace;
  /** Secrets tests grep every output for. */
  readonly secrets: readonly string[];
  cli(args: readonly string[]): Promise<CliResult>;
  cliJson<T>(args: readonly string[]): Promise<CliResult & { json: T }>;
  archiver(job: string, extraArgs?: readonly string[]): Archiver;
  /** Folder of `job`'s WAL on a destination, as the test can read it directly. */
  walFolder(destination: PitrDestination, job: string): string;
  /** WAL file names (extension and s3rver suffix stripped) stored on a destination under `job/wal/`. */
  walNames(destination: PitrDestination, job: string): Promise<string[]>;
  /** Every output of the CLI so far, to search for secrets. */
  outputs(): string;
  stop(): Promise<void>;
}

async function startServers(name: string, user: RunAs) {
  const group = startedGroup();
  try {
    const [pg, sshd, s3, ws] = await Promise.all([
      group.track(startPostgres()),
      group.track(startSshd()),
      group.track(startS3()),
      group.track(makePitrWorkspace(user, name).then((w) => ({ ...w, stop: w.remove }))),
    ]);
    return { pg, sshd, s3, ws, stopAll: group.stopAll };
  } catch (error) {
    await group.stopAll();
    throw error;
  }
}

async function createPitrRole(pg: PostgresServer, password: string): Promise<void> {
  await pg.sql('postgres', `CREATE ROLE ${PITR_ROLE} LOGIN REPLICATION PASSWORD '${password}'`);
  await pg.createDatabase(PITR_DATABASE);
  // A grant on a pg_catalog function holds in the database it is made in: the one the job connects to.
  await pg.sql(PITR_DATABASE, `GRANT EXECUTE ON FUNCTION pg_switch_wal() TO ${PITR_ROLE}`);
}

function parseJson<T>(args: readonly string[], result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `stdout of tricopy ${args.join(' ')} is not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
}

export async function startPitrEnv(name: string): Promise<PitrEnv> {
  const user = await pitrRunAs();
  const { pg, sshd, s3, ws, stopAll } = await startServers(name, user);
  const rolePassword = randomBytes(18).toString('base64url');
  try {
    await assertReachable(user, ws.dir);
    await createPitrRole(pg, rolePassword);
    await ws.mkdir('dest');
    await ws.mkdir('dest/local');
    await ws.write('secrets/pg-password', `${rolePassword}\n`);
    await ws.write('secrets/s3-secret', `${s3.secretAccessKey}\n`);
    await ws.write('secrets/ssh-key', await readFile(sshd.privateKeyPath, 'utf8'));
  } catch (error) {
    await stopAll();
    throw error;
  }
  const seen: string[] = [];
  const cli = async (args: readonly string[]) => {
    const result = await runCliAs(user, ws, args);
    seen.push(result.stdout, result.stderr);
    return result;
  };
  const walFolder = (destination: PitrDestination, job: string): string => {
    if (destination === 'local') return join(ws.dir, 'dest/local', job, 'wal');
    if (destination === 'nas') return join(sshd.rootDir, 'tricopy', job, 'wal');
    return join(s3.directory, s3.bucket, 'backups', job, 'wal');
  };
  const archivers: Archiver[] = [];
  return {
    pg,
    sshd,
    s3,
    user,
    ws,
    // s3rver's secret is its fixed account name, printed legitimately as the access key id: not searched for.
    secrets: [pg.password, rolePassword],
    cli,
    cliJson: async <T>(args: readonly string[]) => {
      const result = await cli([...args, '--json']);
      return { ...result, json: parseJson<T>(args, result) };
    },
    archiver: (job, extraArgs) => {
      const archiver = startArchiver(user, ws, job, extraArgs);
      archivers.push(archiver);
      return archiver;
    },
    walFolder,
    walNames: async (destination, job) => {
      const names = await readdir(walFolder(destination, job)).catch(() => [] as string[]);
      return names
        .map((file) => file.replace(/\._S3rver_\w+$/, ''))
        .filter((file) => /^[0-9A-F]{8}(?:[0-9A-F]{16}|\.history)\./.test(file))
        .map((file) => file.replace(/^([0-9A-F]{24}|[0-9A-F]{8}\.history)\..*$/, '$1'))
        .sort();
    },
    outputs: () => [...seen, ...archivers.flatMap((a) => [a.stdout(), a.stderr()])].join('\n'),
    stop: async () => {
      await Promise.allSettled(archivers.map((a) => a.kill()));
      await stopAll();
    },
  };
}

export interface PitrConfigParts {
  /** Extra lines under `jobs.app.source` (6 spaces), e.g. `      wal: { switchAfter: 10s }`. */
  readonly source?: string;
  /** Extra lines under `jobs.app` (4 spaces). */
  readonly job?: string;
  /** Extra top-level lines. */
  readonly extra?: string;
}

/**
 * A config with destinations `local` (disk), `nas` (sftp, host key pinned) and `cloud` (s3rver, offsite), and one
 * job `app`: a base-mode PostgreSQL source with `wal: true` on the shop database, as the REPLICATION role.
 */
export function pitrConfig(env: PitrEnv, parts: PitrConfigParts = {}): string {
  const { pg, sshd, s3, ws } = env;
  return `
destinations:
  local:
    type: local
    path: ./dest/local
  nas:
    type: sftp
    host: ${sshd.host}
    port: ${sshd.port}
    username: ${sshd.username}
    privateKey: ${join(ws.dir, 'secrets/ssh-key')}
    hostKey: ${sshd.hostKeyFingerprint}
    path: ${sshd.rootDir}/tricopy
${s3Destination('cloud', s3, `"\${file:${join(ws.dir, 'secrets/s3-secret')}}"`)}
jobs:
  app:
    source:
      type: postgres
      host: ${pg.host}
      port: ${pg.port}
      user: ${PITR_ROLE}
      passwordFile: ./secrets/pg-password
      database: ${PITR_DATABASE}
      binDir: ${pg.binDir}
      mode: base
${parts.source ?? '      wal: true'}
    destinations: [${PITR_DESTINATIONS.join(', ')}]
${parts.job ?? ''}
retries: { attempts: 2, minDelay: 200ms, maxDelay: 1s }
# The WAL spool lives under workDir: this run's own, not the shared $TMPDIR/tricopy-<uid> of every run as this user.
workDir: ./work
${parts.extra ?? ''}
`;
}
