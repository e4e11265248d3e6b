import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { type Dump, type PluginContext, silentLogger } from '@tricopy/contract';
import type { PostgresServer } from '@tricopy/test-servers';
import { execa } from 'execa';
import plugin, { type PostgresOptions, type PostgresSource } from '../src/index.js';

/** A context whose redact() does nothing: the plugin itself must keep the password out of what it says. */
export function makeContext(dir: string, name = 'app', logger = silentLogger): PluginContext {
  return { name, configDir: dir, workDir: dir, logger, redact: (text) => text };
}

export function makeSource(
  server: PostgresServer,
  dir: string,
  overrides: Partial<Record<keyof PostgresOptions, unknown>> = {},
  logger = silentLogger,
): PostgresSource {
  const options = plugin.optionsSchema['~standard'].validate({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: 'postgres',
    binDir: server.binDir,
    ...overrides,
  });
  if (options instanceof Promise || options.issues !== undefined) {
    throw new Error(`bad test options: ${JSON.stringify((options as { issues?: unknown }).issues)}`);
  }
  return plugin.create(options.value, makeContext(dir, 'app', logger)) as PostgresSource;
}

export async function dumpToFile(dump: Dump, file: string) {
  await pipeline(dump.stream, createWriteStream(file));
  return dump.completion;
}

/** Catches the promise's rejection and returns it, failing the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { details?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { details?: string };
  }
  throw new Error('expected a rejection');
}

/** Schema of a database as pg_dump --schema-only prints it, minus comments and per-run lines. */
export async function schemaOf(server: PostgresServer, database: string): Promise<string> {
  const { stdout } = await execa(`${server.binDir}/pg_dump`, [
    '--schema-only',
    '-h',
    server.socketDir,
    '-p',
    String(server.port),
    '-U',
    'postgres',
    '-d',
    database,
  ]);
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('--') && !/^\\(un)?restrict /.test(line))
    .join('\n');
}

/** Per table: row count and md5 of all rows' text forms, sorted. */
export async function contentOf(server: PostgresServer, database: string): Promise<Record<string, string>> {
  const tables = await server.sql(
    database,
    `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1`,
  );
  const content: Record<string, string> = {};
  for (const table of tables.split('\n').filter(Boolean)) {
    content[table] = await server.sql(
      database,
      `SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '-') FROM ${table} t`,
    );
  }
  return content;
}

export async function databases(server: PostgresServer): Promise<string[]> {
  return (await server.sql('postgres', 'SELECT datname FROM pg_database ORDER BY 1')).split('\n');
}
