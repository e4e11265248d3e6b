import { Transform, type TransformCallback } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { type Dump, type DumpInfo, SourceError, type TableCount } from '@tricopy/contract';
import { collectTail, firstErrorLine } from '@tricopy/plugin-support';
import { execa } from 'execa';
import type pg from 'pg';
import { familyName, resolveTool, serverFamily, type ToolVersion, toolVersion } from './binaries.js';
import { countRows, exactPattern, listTables, matchesPattern } from './catalog.js';
import { type ConnectionSettings, connect } from './connection.js';
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

export function assertDumpCanReadServer(
  instance: string,
  pgDump: string,
  tool: ToolVersion,
  server: ServerInfo,
): void {
  const family = serverFamily(server.versionNum);
  if (tool.family < family) {
    throw new SourceError(
      `source "${instance}": pg_dump ${tool.text} (${pgDump}) is older than the server (PostgreSQL ${server.version}) and cannot dump it: install the PostgreSQL ${familyName(family)} client tools or newer and point binDir or pgDumpPath at them`,
    );
  }
}

function formatArgs(settings: ConnectionSettings): string[] {
  const { options } = settings;
  if (options.format === 'plain') {
    return [
      '--format=plain',
      ...(options.noOwner ? ['--no-owner', '--no-privileges'] : []),
      // With --schema=public the dump creates schema public, which every new database already has.
      ...(options.schemas === undefined ? [] : ['--clean', '--if-exists']),
    ];
  }
  return [
    '--format=custom',
    ...(options.compressLevel === undefined ? [] : [`--compress=${options.compressLevel}`]),
  ];
}

export async function startDump(
  settings: ConnectionSettings,
  workDir: string,
  signal?: AbortSignal,
): Promise<Dump> {
  const { options, instance } = settings;
  signal?.throwIfAborted();
  const pgDump = await resolveTool('pg_dump', options, settings.configDir, instance);
  const tools = await toolEnv(settings, workDir);
  let client: pg.Client | undefined;
  try {
    client = await connect(settings, options.database);
    const server = await serverInfo(client);
    const tool = await toolVersion(pgDump, tools.env, instance);
    assertDumpCanReadServer(instance, pgDump, tool, server);

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
      ...formatArgs(settings),
      ...(options.schemas ?? []).map((schema) => `--schema=${exactPattern(schema)}`),
      ...excluded.map((table) => `--exclude-table=${exactPattern(table.schema)}.${exactPattern(table.name)}`),
      `--dbname=${dbnameConninfo(options.database)}`,
    ];
    const child = execa(pgDump, args, {
      env: tools.env,
      extendEnv: false,
      stdin: 'ignore',
      buffer: false,
      reject: false,
      ...(signal === undefined ? {} : { cancelSignal: signal }),
      forceKillAfterDelay: 5_000,
    });
    const stderr = collectTail(child.stderr);
    const meter = new DumpMeter();
    const piped = pipeline(child.stdout, meter).catch((error: unknown) => {
      child.kill();
      throw error;
    });
    // Counting runs in the exported snapshot while pg_dump streams: both see the same data.
    const session = client;
    const counting = countRows(session, included).catch((error: unknown) => {
      child.kill();
      throw error;
    });

    const completion = (async (): Promise<DumpInfo> => {
      try {
        const [exit, counted, pipedResult] = await Promise.allSettled([child, counting, piped]);
        const result = exit.status === 'fulfilled' ? exit.value : undefined;
        const details = settings.redact(stderr());
        const fail = (what: string, cause?: unknown) =>
          new SourceError(`source "${instance}": ${what}`, {
            details,
            ...(cause === undefined ? {} : { cause }),
          });
        if (result?.isCanceled || signal?.aborted)
          throw fail('pg_dump was cancelled; the dump is incomplete');
        if (result === undefined || result.failed) {
          if (result?.signal) throw fail(`pg_dump was killed by ${result.signal}; the dump is incomplete`);
          const line = firstErrorLine(details);
          throw fail(
            `pg_dump failed${result?.exitCode === undefined ? '' : ` (exit code ${result.exitCode})`}${line === undefined ? '' : `: ${line}`}`,
            exit.status === 'rejected' ? exit.reason : undefined,
          );
        }
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
      compressed: options.format === 'custom' && options.compressLevel !== 0,
      completion,
    };
  } catch (error) {
    await client?.end().catch(() => {});
    await tools.dispose();
    throw error;
  }
}
