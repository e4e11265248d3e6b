import type { Logger } from '@tricopy/contract';
import { SourceError } from '@tricopy/contract';
import type mysql from 'mysql2/promise';
import { type ConnectionSettings, connect, quoteIdent } from './connection.js';
import { databasesOf, engineOf } from './dump.js';
import { type Account, usedAccounts } from './used-accounts.js';

const MARKER = '-- tricopy account: ';
const ROLE_MARKER = '-- tricopy role: ';

/** MariaDB's role that every account has: never created, and grants to it are not stored. */
const PUBLIC_ROLE = 'PUBLIC';

/** One user or (MariaDB) role of the section, with the statements that recreate it. */
export interface SectionEntry {
  readonly role: boolean;
  /** A role is `['name', '']`. */
  readonly account: Account;
  readonly statements: string[];
}

export interface GlobalsDump {
  readonly sql: Buffer;
  readonly accounts: readonly string[];
  readonly roles: readonly string[];
}

/**
 * The statements `mariadb-dump --system=users` writes (and the way to get them on MySQL) for each role and account
 * the databases use, password hashes included. One line per statement; each role after a `-- tricopy role: "name"`
 * line (`CREATE ROLE`, then its own grants, role grants included), then each account after a
 * `-- tricopy account: ["user","host"]` line (`SHOW CREATE USER`, then `SHOW GRANTS`: its grants, the roles granted
 * to it and its `SET DEFAULT ROLE`). One that cannot be shown is skipped with a warning.
 */
export async function dumpUsers(settings: ConnectionSettings, logger: Logger): Promise<GlobalsDump> {
  const connection = await connect(settings);
  const skipped = (what: string) => (error: unknown) => {
    logger.warn(`source "${settings.instance}": ${what} skipped: ${describe(error)}`);
    return undefined;
  };
  try {
    const used = await readable(settings, async () =>
      usedAccounts(connection, databasesOf(settings), await isMariadb(connection)),
    );
    const entries: SectionEntry[] = [];
    for (const name of used.roles) {
      if (name === PUBLIC_ROLE) {
        skipped('role PUBLIC')(new Error('grants to PUBLIC are not stored'));
        continue;
      }
      const statements = await showRole(connection, name).catch(skipped(`role ${name}`));
      if (statements !== undefined) entries.push({ role: true, account: [name, ''], statements });
    }
    for (const account of used.users) {
      const statements = await showAccount(connection, account).catch(skipped(`account ${named(account)}`));
      if (statements !== undefined) entries.push({ role: false, account, statements });
    }
    return {
      sql: Buffer.from(entries.flatMap(sectionLines).join('')),
      accounts: entries.filter((entry) => !entry.role).map((entry) => named(entry.account)),
      roles: entries.filter((entry) => entry.role).map((entry) => entry.account[0]),
    };
  } finally {
    await connection.end().catch(() => {});
  }
}

async function isMariadb(connection: mysql.Connection): Promise<boolean> {
  const [rows] = await connection.query('SELECT VERSION() AS version');
  return engineOf(String((rows as { version: string }[])[0]?.version)) === 'mariadb';
}

async function showAccount(connection: mysql.Connection, [user, host]: Account): Promise<string[]> {
  const [created] = await connection.query('SHOW CREATE USER ?@?', [user, host]);
  const [grants] = await connection.query('SHOW GRANTS FOR ?@?', [user, host]);
  return oneLineEach([...firstColumn(created), ...firstColumn(grants)]);
}

/** `SHOW GRANTS FOR role` also lists the grants of the roles granted to it: only the role's own are kept. */
async function showRole(connection: mysql.Connection, name: string): Promise<string[]> {
  const [grants] = await connection.query('SHOW GRANTS FOR ?', [name]);
  const grantee = ` TO ${quoteIdent(name)}`;
  const own = firstColumn(grants).filter((statement) => {
    const at = statement.lastIndexOf(grantee);
    return at >= 0 && /^(?: WITH (?:GRANT|ADMIN) OPTION)?$/.test(statement.slice(at + grantee.length));
  });
  return oneLineEach([`CREATE ROLE ${quoteIdent(name)}`, ...own]);
}

function firstColumn(rows: unknown): string[] {
  return (rows as Record<string, unknown>[]).map((row) => String(Object.values(row)[0]));
}

function oneLineEach(statements: string[]): string[] {
  if (statements.some((s) => s.includes('\n')))
    throw new Error('a statement spans several lines (not supported)');
  return statements;
}

function sectionLines({ role, account, statements }: SectionEntry): string[] {
  const marker = role ? `${ROLE_MARKER}${JSON.stringify(account[0])}` : `${MARKER}${JSON.stringify(account)}`;
  return [marker, ...statements.map((s) => `${s};`)].map((line) => `${line}\n`);
}

export function parseAccounts(text: string): SectionEntry[] {
  const entries: SectionEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(ROLE_MARKER)) {
      entries.push({
        role: true,
        account: [JSON.parse(line.slice(ROLE_MARKER.length)) as string, ''],
        statements: [],
      });
    } else if (line.startsWith(MARKER)) {
      const [user, host] = JSON.parse(line.slice(MARKER.length)) as [string, string];
      entries.push({ role: false, account: [user, host], statements: [] });
    } else if (line.trim() !== '') {
      entries.at(-1)?.statements.push(line.replace(/;\s*$/, ''));
    }
  }
  return entries;
}

async function readable<T>(settings: ConnectionSettings, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new SourceError(
      `source "${settings.instance}": cannot read the users, roles and grants (globals: true needs SELECT on the mysql schema): ${settings.redact(describe(error))}`,
      { cause: error },
    );
  }
}

/** `'user'@'host'` for an account, the bare name for a role (as MariaDB's SHOW GRANTS writes them). */
export function entryName({ role, account }: Pick<SectionEntry, 'role' | 'account'>): string {
  return role ? account[0] : named(account);
}

function named([user, host]: Account): string {
  return `'${user}'@'${host}'`;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
