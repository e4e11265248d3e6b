import type { Logger } from '@tricopy/contract';
import { SourceError } from '@tricopy/contract';
import type { GlobalsRestoreResult as GlobalsRestore } from '@tricopy/plugin-support';
import type mysql from 'mysql2/promise';
import { type ConnectionSettings, connect } from './connection.js';
import { databasesOf } from './dump.js';

/** A user account, as MySQL and MariaDB name it: `'user'@'host'`. */
export type Account = readonly [user: string, host: string];

const MARKER = '-- tricopy account: ';

/**
 * The accounts the databases use: every user with a database-, table-, column- or routine-level grant on them, and
 * every DEFINER of their views, routines, triggers and events (a view whose definer is missing cannot be used).
 */
async function usedAccounts(connection: mysql.Connection, databases: readonly string[]): Promise<Account[]> {
  const [grants] = await connection.query(
    `SELECT User AS user, Host AS host FROM mysql.db WHERE Db IN (?) OR REPLACE(Db, '\\\\_', '_') IN (?)
     UNION SELECT User, Host FROM mysql.tables_priv WHERE Db IN (?)
     UNION SELECT User, Host FROM mysql.columns_priv WHERE Db IN (?)
     UNION SELECT User, Host FROM mysql.procs_priv WHERE Db IN (?)`,
    [databases, databases, databases, databases, databases],
  );
  const [definers] = await connection.query(
    `SELECT DEFINER AS definer FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN (?)
     UNION SELECT DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN (?)
     UNION SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN (?)
     UNION SELECT DEFINER FROM information_schema.EVENTS WHERE EVENT_SCHEMA IN (?)`,
    [databases, databases, databases, databases],
  );
  const accounts = new Map<string, Account>();
  const add = (user: string, host: string) => {
    if (user !== '') accounts.set(JSON.stringify([user, host]), [user, host]);
  };
  for (const row of grants as { user: string; host: string }[]) add(String(row.user), String(row.host));
  for (const { definer } of definers as { definer: string }[]) {
    const at = String(definer).lastIndexOf('@');
    if (at > 0) add(definer.slice(0, at), definer.slice(at + 1));
  }
  return [...accounts.values()].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

export interface GlobalsDump {
  readonly sql: Buffer;
  readonly accounts: readonly string[];
}

/**
 * `SHOW CREATE USER` and `SHOW GRANTS` (the statements `mariadb-dump --system=users` writes, and the way to get them
 * on MySQL) for each account the databases use, password hashes included. One line per statement, each account
 * after a `-- tricopy account: ["user","host"]` line. An account that is a role, or that cannot be shown, is skipped
 * with a warning.
 */
export async function dumpUsers(settings: ConnectionSettings, logger: Logger): Promise<GlobalsDump> {
  const connection = await connect(settings);
  try {
    const accounts = await readable(settings, () => usedAccounts(connection, databasesOf(settings)));
    const lines: string[] = [];
    const kept: string[] = [];
    for (const account of accounts) {
      const statements = await showAccount(connection, account).catch((error: unknown) => {
        logger.warn(`source "${settings.instance}": account ${named(account)} skipped: ${describe(error)}`);
        return undefined;
      });
      if (statements === undefined) continue;
      lines.push(`${MARKER}${JSON.stringify(account)}`, ...statements.map((s) => `${s};`));
      kept.push(named(account));
    }
    return { sql: Buffer.from(lines.map((l) => `${l}\n`).join('')), accounts: kept };
  } finally {
    await connection.end().catch(() => {});
  }
}

async function showAccount(connection: mysql.Connection, [user, host]: Account): Promise<string[]> {
  const [created] = await connection.query('SHOW CREATE USER ?@?', [user, host]);
  const [grants] = await connection.query('SHOW GRANTS FOR ?@?', [user, host]);
  const statements = [...(created as Record<string, string>[]), ...(grants as Record<string, string>[])].map(
    (row) => String(Object.values(row)[0]),
  );
  if (statements.some((s) => s.includes('\n')))
    throw new Error('a statement spans several lines (not supported)');
  return statements;
}

/**
 * Creates the accounts of the section that the server lacks, with their global and database-level grants, before
 * the data; their grants on tables, columns and routines (which must exist first) once the data is there. Existing
 * accounts are left alone.
 */
export async function restoreUsers(settings: ConnectionSettings, sql: Buffer): Promise<GlobalsRestore> {
  const accounts = parseAccounts(sql.toString('utf8'));
  const created: string[] = [];
  const existing: string[] = [];
  const later: { account: Account; statement: string }[] = [];
  await withConnection(settings, async (connection) => {
    for (const { account, statements } of accounts) {
      if (await accountExists(connection, account)) {
        existing.push(named(account));
        continue;
      }
      const now = statements.filter((s) => !needsObject(s));
      later.push(...statements.filter(needsObject).map((statement) => ({ account, statement })));
      await run(settings, connection, account, now, created);
      created.push(named(account));
    }
  });
  const afterData = async () =>
    withConnection(settings, async (connection) => {
      for (const { account, statement } of later)
        await run(settings, connection, account, [statement], created);
    });
  return { created, existing, ...(later.length === 0 ? {} : { afterData }) };
}

/** A grant on a table, column or routine (not on `*.*` or `db`.*): it needs that object to exist. */
function needsObject(statement: string): boolean {
  const on =
    /^GRANT .* ON (?:PROCEDURE |FUNCTION |PACKAGE |PACKAGE BODY |TABLE )?(?:`(?:[^`]|``)*`|\*)\.(`(?:[^`]|``)*`|\*) TO /.exec(
      statement,
    );
  return on !== null && on[1] !== '*';
}

async function accountExists(connection: mysql.Connection, [user, host]: Account): Promise<boolean> {
  const [rows] = await connection.query('SELECT COUNT(*) AS n FROM mysql.user WHERE User = ? AND Host = ?', [
    user,
    host,
  ]);
  return Number((rows as { n: string | number }[])[0]?.n) > 0;
}

async function run(
  settings: ConnectionSettings,
  connection: mysql.Connection,
  account: Account,
  statements: readonly string[],
  created: readonly string[],
): Promise<void> {
  try {
    for (const statement of statements) await connection.query(statement);
  } catch (error) {
    throw new SourceError(
      `source "${settings.instance}": recreating account ${named(account)} failed: ${settings.redact(describe(error))}` +
        (created.length > 0 ? ` (created before it: ${created.join(', ')})` : ''),
      { cause: error },
    );
  }
}

async function withConnection(
  settings: ConnectionSettings,
  use: (connection: mysql.Connection) => Promise<void>,
): Promise<void> {
  const connection = await connect(settings);
  try {
    await use(connection);
  } finally {
    await connection.end().catch(() => {});
  }
}

export function parseAccounts(text: string): { account: Account; statements: string[] }[] {
  const accounts: { account: Account; statements: string[] }[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(MARKER)) {
      const [user, host] = JSON.parse(line.slice(MARKER.length)) as [string, string];
      accounts.push({ account: [user, host], statements: [] });
    } else if (line.trim() !== '') {
      accounts.at(-1)?.statements.push(line.replace(/;\s*$/, ''));
    }
  }
  return accounts;
}

async function readable<T>(settings: ConnectionSettings, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new SourceError(
      `source "${settings.instance}": cannot read the users and grants (globals: true needs SELECT on the mysql schema): ${settings.redact(describe(error))}`,
      { cause: error },
    );
  }
}

function named([user, host]: Account): string {
  return `'${user}'@'${host}'`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
