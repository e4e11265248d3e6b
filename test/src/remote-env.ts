import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type PostgresServer,
  type S3Server,
  type SshdServer,
  startPostgres,
  startS3,
  startSshd,
} from '@tricopy/test-servers';
import { FIXTURES, makeWorkspace, type Workspace } from './cli.js';
import { postgresSource } from './server-configs.js';

export const CHINOOK_SQL = join(FIXTURES, 'chinook/Chinook_PostgreSql.sql');

/** Secrets given to tricopy only through the environment; tests grep every output for them. */
export const S3_SECRET = 'tc-s3-secret-5b1f0c7e9a';
/** `${S3_SECRET}` in the config: the secret comes from the environment. */
const SECRET_FROM_ENV = '$' + '{S3_SECRET}';

export interface RemoteEnv {
  readonly pg: PostgresServer;
  readonly sshd: SshdServer;
  readonly s3: S3Server;
  readonly ws: Workspace;
  /** Environment for every tricopy run (secrets included). */
  readonly env: Record<string, string>;
  /** File the pg_dump wrapper appends one line to per dump. */
  readonly dumpCounter: string;
  stop(): Promise<void>;
}

/** Starts the three servers (in parallel) and a workspace with the counting pg_dump wrapper. */
export async function startRemoteEnv(name: string): Promise<RemoteEnv> {
  const started: { stop(): Promise<void> }[] = [];
  const track = <T extends { stop(): Promise<void> }>(p: Promise<T>) =>
    p.then((server) => {
      started.push(server);
      return server;
    });
  const stopAll = () => Promise.allSettled(started.map((s) => s.stop()));
  try {
    const [pg, sshd, s3, ws] = await Promise.all([
      track(startPostgres()),
      track(startSshd()),
      track(startS3()),
      track(makeWorkspace(name).then((w) => ({ ...w, stop: w.remove }))),
    ]);
    await pg.sql('postgres', await readFile(CHINOOK_SQL, 'utf8'));
    const dumpCounter = join(ws.dir, 'dumps.log');
    const wrapper = join(ws.dir, 'pg_dump');
    // Counts real dumps (not `pg_dump --version`), then becomes the real pg_dump. The plugin gives its tools a
    // scrubbed environment, so the counter's path is written into the script.
    await writeFile(
      wrapper,
      [
        '#!/bin/sh',
        `case " $* " in *" --version "*) ;; *) echo dump >> '${dumpCounter}' ;; esac`,
        `exec ${join(pg.binDir, 'pg_dump')} "$@"`,
        '',
      ].join('\n'),
    );
    await chmod(wrapper, 0o755);
    return {
      pg,
      sshd,
      s3,
      ws,
      env: { PGPASS_TEST: pg.password, S3_SECRET },
      dumpCounter,
      stop: async () => {
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export interface ConfigParts {
  database?: string;
  /** Extra lines inside the source block (6 spaces). */
  source?: string;
  /** Extra lines inside the sftp block (indented by the caller's convention: 4 spaces). */
  sftp?: string;
  s3?: string;
  job?: string;
  /** Whole-config extra top-level lines. */
  extra?: string;
  /** Destination names of the job (default: the three). */
  destinations?: string[];
  extraDestinations?: string;
}

/**
 * A config with destinations `local` (disk), `nas` (sftp, pinned host key) and `cloud` (s3, offsite), and one job
 * `app` backing up PostgreSQL through the counting wrapper. The secrets come from `${ENV}`.
 */
export function remoteConfig(env: RemoteEnv, parts: ConfigParts = {}): string {
  const { pg, sshd, s3 } = env;
  return `
destinations:
  local:
    type: local
    path: ./dest/local
${sftpDestination('nas', sshd)}
${parts.sftp ?? `    hostKey: ${sshd.hostKeyFingerprint}`}
${s3Destination('cloud', s3, SECRET_FROM_ENV)}
${parts.s3 ?? ''}
${parts.extraDestinations ?? ''}
jobs:
  app:
    source:
${postgresSource(pg, parts.database ?? 'chinook', { settings: { pgDumpPath: './pg_dump' } })}
${parts.source ?? ''}
    destinations: [${(parts.destinations ?? ['local', 'nas', 'cloud']).join(', ')}]
${parts.job ?? ''}
retries: { attempts: 2, minDelay: 200ms, maxDelay: 1s }
${parts.extra ?? ''}
`;
}

/** A destination block (2-space indented) for the test sshd, without its hostKey line. */
export function sftpDestination(name: string, sshd: SshdServer): string {
  return `  ${name}:
    type: sftp
    host: ${sshd.host}
    port: ${sshd.port}
    username: ${sshd.username}
    privateKey: ${sshd.privateKeyPath}
    path: ${sshd.rootDir}/tricopy`;
}

/** A destination block (2-space indented) for the test s3rver, its secret as given (`${VAR}` or the value). */
export function s3Destination(name: string, s3: S3Server, secret: string): string {
  return `  ${name}:
    type: s3
    bucket: ${s3.bucket}
    prefix: backups/
    endpoint: ${s3.endpoint}
    forcePathStyle: true
    region: ${s3.region}
    accessKeyId: ${s3.accessKeyId}
    secretAccessKey: ${secret}`;
}

export async function dumpCount(env: RemoteEnv): Promise<number> {
  const text = await readFile(env.dumpCounter, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).length;
}

/** Where s3rver keeps an object's bytes on disk. */
export function s3ObjectPath(s3: S3Server, objectKey: string): string {
  return join(s3.directory, s3.bucket, `${objectKey}._S3rver_object`);
}

export async function flipByte(path: string, offset?: number): Promise<void> {
  const bytes = await readFile(path);
  const at = offset ?? Math.floor(bytes.length / 2);
  bytes[at] = (bytes[at] as number) ^ 0xff;
  await chmod(path, 0o600).catch(() => undefined);
  await writeFile(path, bytes);
}

/** Row count and content hash of every table of a database: equal for a faithful restore. */
export async function databaseContent(pg: PostgresServer, database: string): Promise<Record<string, string>> {
  const tables = (
    await pg.sql(
      database,
      `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables
       WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
    )
  )
    .split('\n')
    .filter(Boolean);
  const out: Record<string, string> = {};
  for (const table of tables) {
    out[table] = (
      await pg.sql(
        database,
        `SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM ${table} t`,
      )
    ).trim();
  }
  return out;
}

export async function databaseExists(pg: PostgresServer, database: string): Promise<boolean> {
  const out = await pg.sql('postgres', `SELECT 1 FROM pg_database WHERE datname = '${database}'`);
  return out.trim() === '1';
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
