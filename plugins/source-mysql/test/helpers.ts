import { type Logger, silentLogger } from '@tricopy/contract';
import type { MariadbServer } from '@tricopy/test-servers';
import { type DatabaseSourceUnderTest, testContext, validOptions } from '@tricopy/testkit';
import { execa } from 'execa';
import plugin, { type MysqlOptions } from '../src/index.js';
import { MysqlSource } from '../src/source.js';

/** A logger that hands every line, whatever its level, to `line`. */
export function lineLogger(line: (message: string) => void): Logger {
  return { debug: line, info: line, warn: line, error: line };
}

export function makeSource(
  server: MariadbServer,
  dir: string,
  overrides: Partial<Record<keyof MysqlOptions, unknown>> = {},
  logger: Logger = silentLogger,
): MysqlSource {
  const options = validOptions(plugin, {
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    ...overrides,
  });
  // The class plugin.create() loads and builds, made directly: the tests need it synchronously.
  return new MysqlSource(options, testContext({ name: 'app', configDir: dir, workDir: dir, logger }));
}

export function quote(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** Structure as mariadb-dump --no-data prints it, without comments. */
export async function schemaOf(server: MariadbServer, database: string): Promise<string> {
  const { stdout } = await execa('mariadb-dump', [
    '--no-defaults',
    '--user=root',
    `--socket=${server.socket}`,
    '--no-data',
    '--routines',
    '--triggers',
    '--events',
    '--skip-comments',
    database,
  ]);
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('/*M!999999'))
    .join('\n');
}

/** Per base table: row count and an md5 over every row's column bytes (hex), rows sorted. */
export async function contentOf(server: MariadbServer, database: string): Promise<Record<string, string>> {
  const columns = await server.sql(
    `SELECT c.TABLE_NAME, c.COLUMN_NAME
       FROM information_schema.COLUMNS c JOIN information_schema.TABLES t
         ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME AND t.TABLE_TYPE = 'BASE TABLE'
      WHERE c.TABLE_SCHEMA = '${database.replaceAll("'", "''")}' ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
  );
  const tables = new Map<string, string[]>();
  for (const line of columns.split('\n').filter(Boolean)) {
    const [table, column] = line.split('\t') as [string, string];
    tables.set(table, [
      ...(tables.get(table) ?? []),
      `IFNULL(HEX(CAST(${quote(column)} AS BINARY)), 'NULL')`,
    ]);
  }
  const content: Record<string, string> = {};
  for (const [table, expressions] of tables) {
    content[table] = await server.sql(
      `SET SESSION group_concat_max_len = 1 << 30;
       SELECT CONCAT(COUNT(*), ' ', IFNULL(MD5(GROUP_CONCAT(h ORDER BY h SEPARATOR ',')), '-'))
         FROM (SELECT MD5(CONCAT_WS('|', ${expressions.join(', ')})) AS h FROM ${quote(table)}) x;`,
      database,
    );
  }
  return content;
}

export async function databases(server: MariadbServer): Promise<string[]> {
  return (await server.sql('SHOW DATABASES')).split('\n');
}

/** The plugin on `server` (instances working in `dir`), as the shared database cases of @tricopy/testkit use it. */
export function underTest(server: MariadbServer, dir: string): DatabaseSourceUnderTest {
  const each = (statement: string, names: readonly string[]) =>
    server.sql(names.map((name) => `${statement} ${quote(name)};`).join('\n'));
  return {
    source: (database) => makeSource(server, dir, { database }),
    schemaOf: (database) => schemaOf(server, database),
    contentOf: (database) => contentOf(server, database),
    createDatabases: async (names) => void (await each('CREATE DATABASE', names)),
    dropDatabases: async (names) => void (await each('DROP DATABASE IF EXISTS', names)),
    databasesStartingWith: async (prefix) =>
      (await databases(server)).filter((name) => name.startsWith(prefix)),
  };
}
