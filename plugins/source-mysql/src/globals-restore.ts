import { SourceError } from '@tricopy/contract';
import type { GlobalsRestoreResult as GlobalsRestore } from '@tricopy/plugin-support';
import type mysql from 'mysql2/promise';
import { type ConnectionSettings, connect } from './connection.js';
import { describe, entryName, parseAccounts, type SectionEntry } from './globals.js';
import type { Account } from './used-accounts.js';

interface Pending {
  readonly entry: SectionEntry;
  readonly statement: string;
}

/**
 * Creates the roles and accounts of the section that the server lacks, before the data: first every missing role
 * (bare, so that roles granted to roles exist), then the new roles' grants, then the missing accounts with their
 * grants, role grants and default role. Grants on tables, columns and routines (which must exist first) are applied
 * once the data is there. Existing roles and accounts are left alone.
 */
export async function restoreUsers(settings: ConnectionSettings, sql: Buffer): Promise<GlobalsRestore> {
  const entries = parseAccounts(sql.toString('utf8'));
  const created: string[] = [];
  const existing: string[] = [];
  const later: Pending[] = [];
  const apply = async (connection: mysql.Connection, entry: SectionEntry, statements: readonly string[]) =>
    run(settings, connection, { entry, statements, created });
  await withConnection(settings, async (connection) => {
    const missing: SectionEntry[] = [];
    for (const entry of entries) {
      if (await accountExists(connection, entry.account)) existing.push(entryName(entry));
      else missing.push(entry);
    }
    const roles = missing.filter((entry) => entry.role);
    for (const role of roles) {
      await apply(connection, role, role.statements.slice(0, 1));
      created.push(entryName(role));
    }
    const rest = [
      ...roles.map((role) => ({ entry: role, statements: role.statements.slice(1) })),
      ...missing.filter((entry) => !entry.role).map((entry) => ({ entry, statements: entry.statements })),
    ];
    for (const { entry, statements } of rest) {
      later.push(...statements.filter(needsObject).map((statement) => ({ entry, statement })));
      await apply(
        connection,
        entry,
        statements.filter((s) => !needsObject(s)),
      );
      if (!entry.role) created.push(entryName(entry));
    }
  });
  const afterData = async () =>
    withConnection(settings, async (connection) => {
      for (const { entry, statement } of later) await apply(connection, entry, [statement]);
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

/** A MariaDB role is the row of `mysql.user` with its name and an empty host. */
async function accountExists(connection: mysql.Connection, [user, host]: Account): Promise<boolean> {
  const [rows] = await connection.query('SELECT COUNT(*) AS n FROM mysql.user WHERE User = ? AND Host = ?', [
    user,
    host,
  ]);
  return Number((rows as { n: string | number }[])[0]?.n) > 0;
}

/** One account's or role's statements, and the names created before it (named if it fails). */
interface Recreation {
  readonly entry: SectionEntry;
  readonly statements: readonly string[];
  readonly created: readonly string[];
}

async function run(
  settings: ConnectionSettings,
  connection: mysql.Connection,
  { entry, statements, created }: Recreation,
): Promise<void> {
  for (const statement of statements) {
    try {
      await connection.query(statement);
    } catch (error) {
      const before = created.filter((name) => name !== entryName(entry));
      throw new SourceError(
        `source "${settings.instance}": recreating ${entry.role ? 'role' : 'account'} ${entryName(entry)} failed: ${settings.redact(describe(error))}` +
          roleGrantHint(statement, error) +
          (before.length > 0 ? ` (created before it: ${before.join(', ')})` : ''),
        { cause: error },
      );
    }
  }
}

/** MariaDB lets only a holder of a role's ADMIN OPTION grant it, whatever its other privileges. */
function roleGrantHint(statement: string, error: unknown): string {
  const role = /^GRANT (`(?:[^`]|``)*`) TO /.exec(statement)?.[1];
  return role === undefined || !describe(error).startsWith('Access denied')
    ? ''
    : ` (granting the existing role ${role} needs its ADMIN OPTION: GRANT ${role} TO the restoring user WITH ADMIN OPTION)`;
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
