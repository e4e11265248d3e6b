import { basename } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import {
  type Dump,
  type DumpCompression,
  type DumpInfo,
  SourceError,
  type TableCount,
} from '@tricopy/contract';
import { firstErrorLine, type ProgramExit, startToolPipe } from '@tricopy/plugin-support';
import type pg from 'pg';
import { familyName, resolveTool, serverFamily, type ToolVersion, toolVersion } from './binaries.js';
import { countRows, exactPattern, listTables, matchesPattern, type TableName } from './catalog.js';
import { type ConnectionSettings, connect } from './connection.js';
import { DATABASE_PROPERTIES, readDatabaseProperties } from './database-properties.js';
import { dbnameConninfo, toolEnv } from './tool-env.js';

/** An empty database's custom dump is about 1 KiB; anything under this cannot be a whole dump. */
export const MIN_DUMP_BYTES = 200;
const PLAIN_TRAILER = '-- PostgreSQL database dump complete';

/** Counts bytes and keeps the first and last few, to judge completeness without holding the dump. */
class DumpMeter extends Transform {
  bytes = 0;
  head = Buffer.alloc(0);
  tail = Buffer.alloc(0);
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.head.length < 16) this.head = Buffer.concat([this.head, chunk.subarray(0, 16)]);
    this.tail = Buffer.concat([this.tail, chunk.subarray(-256)]).subarray(-256);
    callback(null, chunk);
  }
}

export interface ServerInfo {
  readonly versionNum: number;
  readonly version: string;
}

export async function serverInfo(client: pg.Client): Promise<ServerInfo> {
  const result = await client.query<{ num: string; version: string }>(
    "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version",
  );
  const row = result.rows[0]!;
  return { versionNum: Number(row.num), version: row.version.split(' ')[0]! };
}

/** pg_dump and pg_basebackup read servers of their own major version and older, not newer ones. */
export function assertToolCanReadServer(
  instance: string,
  file: string,
  tool: ToolVersion,
  server: ServerInfo,
): void {
  const family = serverFamily(server.versionNum);
  const name = basename(file);
  if (tool.family < family) {
    throw new SourceError(
      `source "${instance}": ${name} ${tool.text} (${file}) is older than the server (PostgreSQL ${server.version}) and cannot dump it: install the PostgreSQL ${familyName(family)} client tools or newer and point binDir${name === 'pg_dump' ? ' or pgDumpPath' : ''} at them`,
    );
  }
}

/** pg_dump's --compress for the custom format: the configured level, else 0 when the engine compresses. */
function customLevel(settings: ConnectionSettings, offered: boolean): number | undefined {
  return settings.options.compressLevel ?? (offered ? 0 : undefined);
}

function formatArgs(settings: ConnectionSettings, offered: boolean): string[] {
  const { options } = settings;
  if (options.format === 'plain') {
    return [
      '--format=plain',
      ...(options.noOwner ? ['--no-owner', '--no-privileges'] : []),
      // With --schema=public the dump creates schema public, which every new database already has.
      ...(options.schemas === undefined ? [] : ['--clean', '--if-exists']),
    ];
  }
  const level = customLevel(settings, offered);
  return ['--format=custom', ...(level === undefined ? [] : [`--compress=${level}`])];
}

/**
 * Why pg_dump did not produce a complete dump; undefined when it succeeded. A pg_dump that tricopy itself stopped
 * (its output could not be read, or counting failed) is not blamed: `stopped` says why it was stopped.
 */
function toolFailure(tool: ProgramExit, stopped: string | undefined): string | undefined {
  if (tool.exitCode === 0) return undefined;
  if (tool.signal && stopped !== undefined) return stopped;
  if (tool.signal) return `pg_dump was killed by ${tool.signal}; the dump is incomplete`;
  const line = tool.error?.message ?? firstErrorLine(tool.stderr);
  return `pg_dump failed${tool.exitCode === null ? '' : ` (exit code ${tool.exitCode})`}${line === undefined ? '' : `: ${line}`}`;
}

/** countRows inside a savepoint: a count that fails leaves the transaction, and the snapshot pg_dump uses, alive. */
async function countKeepingSnapshot(client: pg.Client, tables: readonly TableName[]): Promise<TableCount[]> {
  await client.query('SAVEPOINT tricopy_count');
  try {
    return await countRows(client, tables);
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT tricopy_count').catch(() => {});
    throw error;
  }
}

/** The database's size on disk (tables and indexes): `Dump.sizeHint`; undefined when the server will not say. */
async function databaseBytes(client: pg.Client): Promise<number | undefined> {
  try {
    const { rows } = await client.query<{ bytes: string }>(
      'SELECT pg_database_size(current_database()) AS bytes',
    );
    const bytes = Number(rows[0]?.bytes);
    return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

export async function startDump(
  settings: ConnectionSettings,
  workDir: string,
  signal?: AbortSignal,
  compression?: DumpCompression,
): Promise<Dump> {
  const { options, instance } = settings;
  signal?.throwIfAborted();
  const pgDump = await resolveTool('pg_dump', options, settings.configDir, instance);
  const tools = await toolEnv(settings, workDir);
  let client: pg.Client | undefined;
  try {
    client = await connect(settings, options.database);
    const server = await serverInfo(client);
    const properties = await readDatabaseProperties(client);
    const sizeHint = await databaseBytes(client);
    const tool = await toolVersion(pgDump, tools.env, instance);
    assertToolCanReadServer(instance, pgDump, tool, server);

    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
    const tables = await listTables(client, options.schemas);
    const excluded = tables.filter((table) =>
      options.excludeTables.some((pattern) => matchesPattern(table, pattern)),
    );
    const included = tables.filter((table) => !excluded.includes(table));

    const args = [
      '--no-password',
      `--snapshot=${snapshot}`,
      ...formatArgs(settings, compression !== undefined),
      ...(options.schemas ?? []).map((schema) => `--schema=${exactPattern(schema)}`),
      ...excluded.map((table) => `--exclude-table=${exactPattern(table.schema)}.${exactPattern(table.name)}`),
      `--dbname=${dbnameConninfo(options.database)}`,
    ];
    const child = startToolPipe({
      file: pgDump,
      args,
      env: tools.env,
      ...(signal === undefined ? {} : { signal }),
    });
    const meter = new DumpMeter();
    let stopped: string | undefined;
    const piped = pipeline(child.stdout, meter).catch((error: unknown) => {
      stopped ??= `reading pg_dump's output failed: ${String(error)}`;
      child.kill();
      throw error;
    });
    // Counting runs in the exported snapshot while pg_dump streams: both see the same data. A count that fails does
    // not stop pg_dump: its own error (a table it may not read) is the one to report, and the backup fails either way.
    const session = client;
    const counting = countKeepingSnapshot(session, included);

    const completion = (async (): Promise<DumpInfo> => {
      try {
        const [counted, pipedResult] = await Promise.allSettled([counting, piped]);
        const exit = await child.tool;
        const details = settings.redact(exit.stderr);
        const fail = (what: string, cause?: unknown) =>
          new SourceError(`source "${instance}": ${settings.redact(what)}`, {
            details,
            ...(cause === undefined ? {} : { cause }),
          });
        if (signal?.aborted) throw fail('pg_dump was cancelled; the dump is incomplete');
        const failure = toolFailure(exit, stopped);
        if (failure !== undefined) throw fail(failure, exit.error);
        if (counted.status === 'rejected') {
          throw fail(
            `counting rows in the dump snapshot failed: ${settings.redact(String(counted.reason))}`,
            counted.reason,
          );
        }
        if (pipedResult.status === 'rejected') {
          throw fail(`reading pg_dump's output failed: ${String(pipedResult.reason)}`, pipedResult.reason);
        }
        await finished(meter);
        if (meter.bytes < MIN_DUMP_BYTES) {
          throw fail(
            `pg_dump produced only ${meter.bytes} bytes, less than any complete dump (${MIN_DUMP_BYTES})`,
          );
        }
        if (options.format === 'custom' && meter.head.subarray(0, 5).toString('latin1') !== 'PGDMP') {
          throw fail('pg_dump output does not start with the custom-format header PGDMP');
        }
        if (options.format === 'plain' && !meter.tail.toString('utf8').includes(PLAIN_TRAILER)) {
          throw fail(`pg_dump output lacks its final "${PLAIN_TRAILER}" line: the dump is truncated`);
        }
        const tablesCounted: readonly TableCount[] = counted.value;
        return {
          engine: 'postgresql',
          engineVersion: server.version,
          toolVersion: tool.text,
          tables: tablesCounted,
          details: {
            database: options.database,
            format: options.format === 'custom' ? 'pg-custom' : 'pg-plain',
            bytes: meter.bytes,
            [DATABASE_PROPERTIES]: properties,
            ...(options.schemas === undefined ? {} : { schemas: options.schemas }),
            ...(excluded.length === 0
              ? {}
              : { excludedTables: excluded.map((t) => `${t.schema}.${t.name}`) }),
          },
        };
      } finally {
        await session.query('ROLLBACK').catch(() => {});
        await session.end().catch(() => {});
        await tools.dispose();
      }
    })();
    completion.catch(() => {});
    return {
      stream: meter,
      format: options.format === 'custom' ? 'pg-custom' : 'pg-plain',
      extension: options.format === 'custom' ? 'pgdump' : 'sql',
      compressed: options.format === 'custom' && customLevel(settings, compression !== undefined) !== 0,
      ...(sizeHint === undefined ? {} : { sizeHint }),
      completion,
    };
  } catch (error) {
    await client?.end().catch(() => {});
    await tools.dispose();
    throw error;
  }
}
