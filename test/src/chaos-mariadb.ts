// The MariaDB side of the chaos suite: a server whose commits survive a crash, a big table to dump, the job's
// source block, and the row check of a restore.
import { type MariadbServer, quoteMysqlIdent, startMariadb } from '@tricopy/test-servers';

export interface MariadbChaos {
  readonly server: MariadbServer;
  /** Environment for every tricopy run: the password travels only through it. */
  readonly env: Record<string, string>;
}

export async function startMariadbChaos(): Promise<MariadbChaos> {
  const server = await startMariadb();
  // The test server trades durability for speed; a trial that kills it needs its data back after the restart.
  await server.sql('SET GLOBAL innodb_flush_log_at_trx_commit = 1');
  return { server, env: { MYSQL_PASS: server.password } };
}

/** The same 200,000 rows (about 26 MB of text) as the PostgreSQL `payload` table, from MariaDB's sequence engine. */
export async function bigMariadbTable(server: MariadbServer, database: string): Promise<void> {
  await server.sql(`CREATE DATABASE ${quoteMysqlIdent(database)}`);
  // The seq_* tables of the sequence engine exist only with a current database.
  await server.sql(
    `CREATE TABLE payload (id int PRIMARY KEY, body text NOT NULL);
INSERT INTO payload
  SELECT seq, CONCAT(MD5(seq), MD5(seq * 7), MD5(seq * 13), MD5(seq * 31)) FROM seq_1_to_200000;`,
    database,
  );
}

const POSTGRES_SOURCE = /^ {4}source:\n {6}type: postgres\n[\s\S]*?(?=^ {4}destinations: \[)/m;

/** `yaml` (a remoteConfig) with its PostgreSQL source replaced by `database` on the MariaDB `server`. */
export function mariadbSource(yaml: string, server: MariadbServer, database: string): string {
  if (!POSTGRES_SOURCE.test(yaml)) throw new Error('no postgres source block in the chaos config');
  return yaml.replace(
    POSTGRES_SOURCE,
    [
      '    source:',
      '      type: mysql',
      `      host: ${server.host}`,
      `      port: ${server.port}`,
      `      user: ${server.user}`,
      '      password: ${MYSQL_PASS}',
      `      database: ${database}`,
      '',
    ].join('\n'),
  );
}

/** What differs between the `payload` tables of two databases: row count and a content checksum. */
export async function restoredRowsDiffer(
  server: MariadbServer,
  original: string,
  restored: string,
): Promise<string[]> {
  const summary = async (database: string) => {
    const table = `${quoteMysqlIdent(database)}.payload`;
    const count = await server.sql(`SELECT COUNT(*) FROM ${table}`).catch((error: Error) => error.message);
    const checksum = await server.sql(`CHECKSUM TABLE ${table}`).catch((error: Error) => error.message);
    return { count, checksum: checksum.split('\t').at(-1) ?? checksum };
  };
  const [want, got] = await Promise.all([summary(original), summary(restored)]);
  const differences: string[] = [];
  if (got.count !== want.count) differences.push(`${restored}: ${got.count} rows instead of ${want.count}`);
  if (got.checksum !== want.checksum)
    differences.push(`${restored}: checksum ${got.checksum} instead of ${want.checksum}`);
  return differences;
}
