// Shared setup of the sources-* end-to-end files: one PostgreSQL and one MariaDB server per file, both loaded with
// Chinook, a workspace with the SQLite Chinook, and helpers that read databases with the servers' own clients.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type MariadbServer,
  type PostgresServer,
  quoteMysqlIdent,
  quotePgIdent,
  startMariadb,
  startPostgres,
} from '@tricopy/test-servers';
import { type CliResult, FIXTURES, makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';
import { postgresSource } from './server-configs.js';

export const CHINOOK_DIR = join(FIXTURES, 'chinook');

/** Row counts of the Chinook sample database, as its documentation gives them. */
export const CHINOOK_COUNTS: Readonly<Record<string, number>> = {
  album: 347,
  artist: 275,
  customer: 59,
  employee: 8,
  genre: 25,
  invoice: 412,
  invoiceline: 2240,
  mediatype: 5,
  playlist: 18,
  playlisttrack: 8715,
  track: 3503,
};

/** `public.invoice_line`, `InvoiceLine` and `Chinook.InvoiceLine` all become `invoiceline`. */
export function chinookName(table: string): string {
  return (table.split('.').pop() ?? table).replaceAll('_', '').toLowerCase();
}

export function byChinookName(tables: readonly { name: string; rows: number }[]): Record<string, number> {
  return Object.fromEntries(tables.map((t) => [chinookName(t.name), t.rows]));
}

export interface SourcesEnv {
  readonly pg: PostgresServer;
  readonly maria: MariadbServer;
  readonly ws: Workspace;
  /** Environment for every tricopy run: the passwords travel only through it. */
  readonly env: Record<string, string>;
  /** Every output of every tricopy run so far, for the secret checks. */
  readonly outputs: string[];
  run(args: readonly string[], options?: { env?: Record<string, string> }): Promise<CliResult>;
  runJson<T>(
    args: readonly string[],
    options?: { env?: Record<string, string> },
  ): Promise<CliResult & { json: T }>;
  stop(): Promise<void>;
}

export async function startSourcesEnv(name: string): Promise<SourcesEnv> {
  const started: { stop(): Promise<void> }[] = [];
  const track = <T extends { stop(): Promise<void> }>(p: Promise<T>) =>
    p.then((server) => {
      started.push(server);
      return server;
    });
  const stopAll = async () => {
    await Promise.allSettled(started.map((s) => s.stop()));
  };
  try {
    const [pg, maria, ws] = await Promise.all([
      track(startPostgres()),
      track(startMariadb()),
      track(makeWorkspace(name).then((w) => ({ ...w, stop: w.remove }))),
    ]);
    // The PostgreSQL script drops/creates `chinook` and \connects to it; psql over the trusted socket runs it.
    await Promise.all([
      readFile(join(CHINOOK_DIR, 'Chinook_PostgreSql.sql'), 'utf8').then((text) => pg.sql('postgres', text)),
      readFile(join(CHINOOK_DIR, 'Chinook_MySql.sql'), 'utf8').then((text) => maria.sql(text)),
      copyFile(join(CHINOOK_DIR, 'Chinook_Sqlite.sqlite'), join(ws.dir, 'chinook.db')),
      // The local destination creates its folder only when the parent exists.
      mkdir(join(ws.dir, 'dest')),
    ]);
    const env = { PGPASS_APP: pg.password, MYSQL_PASS: maria.password };
    const outputs: string[] = [];
    const record = <R extends CliResult>(result: R): R => {
      outputs.push(result.stdout, result.stderr);
      return result;
    };
    return {
      pg,
      maria,
      ws,
      env,
      outputs,
      run: async (args, options = {}) =>
        record(await tricopy(args, { cwd: ws.dir, env: { ...env, ...options.env } })),
      runJson: async <T>(args: readonly string[], options: { env?: Record<string, string> } = {}) =>
        record(await tricopyJson<T>(args, { cwd: ws.dir, env: { ...env, ...options.env } })),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export interface FleetOptions {
  /** Extra YAML lines (indented 6 spaces) under each source. */
  readonly pg?: string;
  readonly mysql?: string;
  /** Folder under the workspace holding the destination folders (created here). */
  readonly destRoot?: string;
  /** Only these jobs. */
  readonly jobs?: readonly ('pg' | 'mysql' | 'music')[];
}

/** A fleet of a postgres, a mysql and a sqlite job, each written to three local destinations. */
export async function fleetConfig(env: SourcesEnv, options: FleetOptions = {}): Promise<string> {
  const root = options.destRoot ?? 'dest';
  await mkdir(join(env.ws.dir, root), { recursive: true });
  const jobs = {
    pg: `
  pg:
    source:
${postgresSource(env.pg, 'chinook', { passwordVar: 'PGPASS_APP' })}
${options.pg ?? ''}
    destinations: [primary, usb, offsite]`,
    mysql: `
  mysql:
    source:
      type: mysql
      host: 127.0.0.1
      port: ${env.maria.port}
      user: ${env.maria.user}
      database: Chinook
      password: "\${MYSQL_PASS}"
${options.mysql ?? ''}
    destinations: [primary, usb, offsite]
    compression: zstd`,
    music: `
  music:
    source: { type: sqlite, path: ./chinook.db }
    destinations: [primary, usb, offsite]
    compression: gzip`,
  };
  const names = options.jobs ?? (['pg', 'mysql', 'music'] as const);
  return `
destinations:
  primary: { type: local, path: ./${root}/primary }
  usb: { type: local, path: ./${root}/usb, media: removable }
  offsite: { type: local, path: ./${root}/offsite, media: tape, offsite: true }
jobs:${names.map((n) => jobs[n]).join('')}
retries: { attempts: 2, minDelay: 10ms, maxDelay: 50ms }
workDir: ./work
`;
}

// --- PostgreSQL, read over the trusted socket with psql -------------------------------------------------------

export async function pgDatabases(pg: PostgresServer): Promise<string[]> {
  const out = await pg.sql('postgres', 'SELECT datname FROM pg_database ORDER BY 1');
  return out.split('\n').filter(Boolean);
}

export async function pgTables(pg: PostgresServer, database: string): Promise<string[]> {
  const out = await pg.sql(
    database,
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
  );
  return out.split('\n').filter(Boolean);
}

export async function pgCounts(pg: PostgresServer, database: string): Promise<Record<string, number>> {
  const tables = await pgTables(pg, database);
  if (tables.length === 0) return {};
  const out = await pg.sql(
    database,
    tables.map((t) => `SELECT '${t}', count(*) FROM ${quotePgIdent(t)}`).join(' UNION ALL '),
  );
  return Object.fromEntries(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [table, n] = line.split('|');
        return [chinookName(table as string), Number(n)];
      }),
  );
}

/** Every row of every table, as text, ordered: equal content gives equal strings. */
export async function pgContent(pg: PostgresServer, database: string): Promise<Record<string, string>> {
  const content: Record<string, string> = {};
  for (const table of await pgTables(pg, database)) {
    content[table] = await pg.sql(
      database,
      `COPY (SELECT * FROM ${quotePgIdent(table)} ORDER BY 1, 2) TO STDOUT`,
    );
  }
  return content;
}

// --- MariaDB, read as root over the socket with the mariadb client --------------------------------------------

export async function mysqlDatabases(maria: MariadbServer): Promise<string[]> {
  return (await maria.sql('SHOW DATABASES')).split('\n').filter(Boolean).sort();
}

async function mysqlTables(maria: MariadbServer, database: string): Promise<string[]> {
  const out = await maria.sql(
    `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${database}' AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1`,
  );
  return out.split('\n').filter(Boolean);
}

export async function mysqlCounts(maria: MariadbServer, database: string): Promise<Record<string, number>> {
  const tables = await mysqlTables(maria, database);
  if (tables.length === 0) return {};
  const out = await maria.sql(
    tables.map((t) => `SELECT '${t}', COUNT(*) FROM ${quoteMysqlIdent(t)}`).join(' UNION ALL '),
    database,
  );
  return Object.fromEntries(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [table, n] = line.split('\t');
        return [chinookName(table as string), Number(n)];
      }),
  );
}

export async function mysqlContent(maria: MariadbServer, database: string): Promise<Record<string, string>> {
  const content: Record<string, string> = {};
  for (const table of await mysqlTables(maria, database)) {
    content[table] = await maria.sql(`SELECT * FROM ${quoteMysqlIdent(table)} ORDER BY 1, 2`, database);
  }
  return content;
}

// --- Files -----------------------------------------------------------------------------------------------------

export function hasStackTrace(text: string): boolean {
  return /\n\s+at .+:\d+:\d+\)?/.test(text);
}
