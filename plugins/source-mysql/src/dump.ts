import { finished, pipeline } from 'node:stream/promises';
import { childEnv, type Dump, type DumpInfo, SourceError } from '@tricopy/contract';
import { firstErrorLine, type ProgramExit, startToolPipe } from '@tricopy/plugin-support';
import type { Connection } from 'mysql2/promise';
import { binaryVersion, resolveBinary } from './binaries.js';
import { type ConnectionSettings, connect, where } from './connection.js';
import { type DatabaseDefaults, readDatabaseDefaults } from './database-defaults.js';
import { DumpScanner } from './dump-scanner.js';
import { clientInvocation } from './options-file.js';

/** The smallest complete dump of an empty database is about 1.2 KiB of header and footer. */
export const MIN_DUMP_BYTES = 300;
const TRAILER = '-- Dump completed';
export const FORMAT_SINGLE = 'mysql-sql';
export const FORMAT_DATABASES = 'mysql-sql-databases';

export interface ServerInfo {
  readonly engine: 'mariadb' | 'mysql';
  readonly version: string;
  /** Of a single database: its default character set and collation. */
  readonly defaults?: DatabaseDefaults;
  /** The dumped databases' data and index bytes by the server's table statistics: `Dump.sizeHint`. */
  readonly sizeHint?: number;
}

export function engineOf(version: string): ServerInfo['engine'] {
  return /mariadb/i.test(version) ? 'mariadb' : 'mysql';
}

export function databasesOf(settings: ConnectionSettings): string[] {
  return settings.options.databases ?? [settings.options.database!];
}

/** Connects, checks every database exists, returns the server version. */
export async function probeServer(settings: ConnectionSettings): Promise<ServerInfo> {
  const names = databasesOf(settings);
  const connection = await connect(settings, settings.options.databases === undefined ? names[0] : undefined);
  try {
    const [rows] = await connection.query('SELECT VERSION() AS version');
    const version = String((rows as Array<{ version: string }>)[0]!.version);
    const [found] = await connection.query(
      'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (?)',
      [names],
    );
    const present = new Set((found as Array<{ name: string }>).map((row) => row.name));
    const missing = names.filter((name) => !present.has(name));
    if (missing.length > 0) {
      throw new SourceError(
        `source "${settings.instance}": database ${missing.map((name) => `"${name}"`).join(', ')} does not exist on ${where(settings.options)} (check the database option)`,
      );
    }
    const defaults =
      settings.options.databases === undefined
        ? await readDatabaseDefaults(connection, names[0]!)
        : undefined;
    const sizeHint = await storedBytes(connection, names);
    return {
      engine: engineOf(version),
      version,
      ...(defaults === undefined ? {} : { defaults }),
      ...(sizeHint === undefined ? {} : { sizeHint }),
    };
  } finally {
    await connection.end().catch(() => {});
  }
}

/** What the server's table statistics say the databases hold; undefined when it will not say. */
async function storedBytes(connection: Connection, names: readonly string[]): Promise<number | undefined> {
  try {
    const [rows] = await connection.query(
      'SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) AS bytes FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?)',
      [names],
    );
    const bytes = Number((rows as Array<{ bytes: unknown }>)[0]?.bytes);
    return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

export async function resolveDumpBinary(settings: ConnectionSettings): Promise<string> {
  return resolveBinary(
    settings.options.dumpBinary,
    ['mariadb-dump', 'mysqldump'],
    'dumpBinary',
    settings.configDir,
    settings.instance,
  );
}

/** Why the dump tool's exit means an incomplete dump, or undefined when it exited 0. */
function toolFailure(name: string, exit: ProgramExit, details: string): string | undefined {
  if (exit.exitCode === 0) return undefined;
  if (exit.signal) return `${name} was killed by ${exit.signal}; the dump is incomplete`;
  const line = exit.error?.message ?? firstErrorLine(details);
  return `${name} failed${exit.exitCode === null ? '' : ` (exit code ${exit.exitCode})`}${line === undefined ? '' : `: ${line}`}`;
}

export async function startDump(
  settings: ConnectionSettings,
  workDir: string,
  signal?: AbortSignal,
): Promise<Dump> {
  const { options, instance } = settings;
  signal?.throwIfAborted();
  const dumpBinary = await resolveDumpBinary(settings);
  const server = await probeServer(settings);
  const tool = await binaryVersion(dumpBinary, childEnv(), instance);
  const invocation = await clientInvocation(settings, workDir, tool.mariadb);
  try {
    const multi = options.databases !== undefined;
    const args = [
      ...invocation.args,
      '--single-transaction',
      '--routines',
      '--triggers',
      '--events',
      '--hex-blob',
      '--quick',
      '--no-tablespaces',
      '--default-character-set=utf8mb4',
      // `--` ends the options: a database named `-x` or `--all-databases` stays a name.
      ...(multi ? ['--databases', '--', ...databasesOf(settings)] : ['--', options.database!]),
    ];
    // node:child_process through plugin-support, as the PostgreSQL source: execa's 111 modules cost every MariaDB
    // backup about 4 MiB of resident memory.
    const child = startToolPipe({
      file: dumpBinary,
      args,
      env: invocation.env,
      ...(signal === undefined ? {} : { signal }),
    });
    const scanner = new DumpScanner(multi);
    const piped = pipeline(child.stdout, scanner).catch((error: unknown) => {
      child.kill();
      throw error;
    });
    const name = tool.mariadb ? 'mariadb-dump' : 'mysqldump';
    const completion = (async (): Promise<DumpInfo> => {
      try {
        const [pipedResult, exit] = await Promise.all([
          piped.then(
            () => undefined,
            (error: unknown) => ({ error }),
          ),
          child.tool,
        ]);
        const details = settings.redact(exit.stderr);
        const fail = (what: string, cause?: unknown) =>
          new SourceError(`source "${instance}": ${what}`, {
            details,
            ...(cause === undefined ? {} : { cause }),
          });
        if (signal?.aborted) throw fail(`${name} was cancelled; the dump is incomplete`);
        const failure = toolFailure(name, exit, details);
        if (failure !== undefined) throw fail(failure, exit.error);
        if (pipedResult !== undefined) {
          throw fail(`reading ${name}'s output failed: ${String(pipedResult.error)}`, pipedResult.error);
        }
        await finished(scanner);
        if (scanner.bytes < MIN_DUMP_BYTES) {
          throw fail(
            `${name} produced only ${scanner.bytes} bytes, less than any complete dump (${MIN_DUMP_BYTES})`,
          );
        }
        if (!scanner.tail.toString('utf8').includes(TRAILER)) {
          throw fail(`${name} output lacks its final "${TRAILER}" line: the dump is truncated`);
        }
        const tables = [...scanner.counts]
          .map(([table, rows]) => ({ name: table, rows, exact: true }))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        return {
          engine: server.engine,
          engineVersion: server.version,
          toolVersion: `${name} ${tool.text}`,
          tables,
          details: {
            databases: databasesOf(settings),
            format: multi ? FORMAT_DATABASES : FORMAT_SINGLE,
            bytes: scanner.bytes,
            rowCounts: 'counted in the dump stream',
            ...server.defaults,
          },
        };
      } finally {
        await invocation.dispose();
      }
    })();
    completion.catch(() => {});
    return {
      stream: scanner,
      format: multi ? FORMAT_DATABASES : FORMAT_SINGLE,
      extension: 'sql',
      compressed: false,
      ...(server.sizeHint === undefined ? {} : { sizeHint: server.sizeHint }),
      completion,
    };
  } catch (error) {
    await invocation.dispose();
    throw error;
  }
}
