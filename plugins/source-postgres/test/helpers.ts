import { silentLogger } from '@tricopy/contract';
import { type PostgresServer, quotePgIdent } from '@tricopy/test-servers';
import { type DatabaseSourceUnderTest, testContext, validOptions } from '@tricopy/testkit';
import { execa } from 'execa';
import { PostgresBaseSource } from '../src/base-source.js';
import plugin, { type PostgresOptions } from '../src/index.js';
import { PostgresSource } from '../src/source.js';

export function makeSource(
  server: PostgresServer,
  dir: string,
  overrides: Partial<Record<keyof PostgresOptions, unknown>> = {},
  logger = silentLogger,
): PostgresSource {
  const options = validOptions(plugin, {
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: 'postgres',
    binDir: server.binDir,
    ...overrides,
  });
  // redact() does nothing here: the plugin itself must keep the password out of what it says.
  // The class plugin.create() loads and builds, made directly: the tests need it synchronously.
  const context = testContext({ name: 'app', configDir: dir, workDir: dir, logger });
  return options.mode === 'base'
    ? (new PostgresBaseSource(options, context) as unknown as PostgresSource)
    : new PostgresSource(options, context);
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

/** The plugin on `server` (instances working in `dir`), as the shared database cases of @tricopy/testkit use it. */
export function underTest(server: PostgresServer, dir: string): DatabaseSourceUnderTest {
  const each = async (statement: string, names: readonly string[]) => {
    for (const name of names) await server.sql('postgres', `${statement} ${quotePgIdent(name)}`);
  };
  return {
    source: (database) => makeSource(server, dir, { database }),
    schemaOf: (database) => schemaOf(server, database),
    contentOf: (database) => contentOf(server, database),
    createDatabases: (names) => each('CREATE DATABASE', names),
    dropDatabases: (names) => each('DROP DATABASE IF EXISTS', names),
    databasesStartingWith: async (prefix) =>
      (await databases(server)).filter((name) => name.startsWith(prefix)),
  };
}
