import { type Logger, SourceError } from '@tricopy/contract';
import type pg from 'pg';
import { quoteIdent } from './connection.js';
import type { DatabaseProperties } from './database-properties.js';

export interface ApplyContext {
  readonly instance: string;
  readonly logger: Logger;
  /** Leave owner and privileges alone (the source's noOwner), as pg_restore --no-owner --no-privileges does. */
  readonly noOwner: boolean;
  /** The restore recreated the backup's roles first (restore --globals). */
  readonly globals: boolean;
  /** The database's name for messages: the target, not the temporary database the restore works in. */
  readonly shownAs: string;
  /** Restored in place (an existing empty target), not into a temporary database dropped on failure. */
  readonly inPlace: boolean;
}

type AclEntry = NonNullable<DatabaseProperties['acl']>[number];

/** pg_dump quotes each element of these list settings (variable_is_guc_list_quote). */
const LIST_SETTINGS = new Set([
  'local_preload_libraries',
  'search_path',
  'session_preload_libraries',
  'shared_preload_libraries',
  'temp_tablespaces',
  'unix_socket_directories',
]);

/**
 * Gives `database` the owner, privileges, comment, connection limit and settings the backup recorded, as
 * `pg_restore --create` would. A role they name that this server lacks is skipped with a warning: the data is
 * restored whole, only that owner, grant or setting is not.
 */
export async function applyDatabaseProperties(
  client: pg.Client,
  database: string,
  properties: DatabaseProperties,
  context: ApplyContext,
): Promise<void> {
  const present = await existingRoles(client, rolesNamed(properties));
  const missing = new Set<string>();
  const usable = (role: string | null) => {
    if (role === null || present.has(role)) return true;
    missing.add(role);
    return false;
  };
  const target = quoteIdent(database);
  const statements: string[] = [];
  if (!context.noOwner && usable(properties.owner))
    statements.push(`ALTER DATABASE ${target} OWNER TO ${quoteIdent(properties.owner)}`);
  statements.push(
    `ALTER DATABASE ${target} CONNECTION LIMIT ${properties.connectionLimit}`,
    `COMMENT ON DATABASE ${target} IS ${properties.comment === null ? 'NULL' : client.escapeLiteral(properties.comment)}`,
    `ALTER DATABASE ${target} RESET ALL`,
    ...properties.settings.map((s) => `ALTER DATABASE ${target} ${setClause(client, s)}`),
  );
  for (const { role, settings } of properties.roleSettings) {
    if (!usable(role)) continue;
    const prefix = `ALTER ROLE ${quoteIdent(role)} IN DATABASE ${target}`;
    statements.push(`${prefix} RESET ALL`, ...settings.map((s) => `${prefix} ${setClause(client, s)}`));
  }
  if (!context.noOwner) statements.push(...(await aclStatements(client, database, properties, usable)));
  await run(client, statements, context);
  if (missing.size > 0)
    context.logger.warn(missingRolesWarning(context, properties.owner, [...missing].sort()));
}

function rolesNamed(properties: DatabaseProperties): string[] {
  return [
    properties.owner,
    ...(properties.acl ?? []).flatMap((entry) => (entry.grantee === null ? [] : [entry.grantee])),
    ...properties.roleSettings.map((s) => s.role),
  ];
}

async function existingRoles(client: pg.Client, names: readonly string[]): Promise<Set<string>> {
  const result = await client.query<{ rolname: string }>(
    'SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY($1::text[])',
    [names],
  );
  return new Set(result.rows.map((r) => r.rolname));
}

/** `SET name TO value` for one `name=value` of pg_db_role_setting, quoted as pg_dump quotes it. */
export function setClause(client: Pick<pg.Client, 'escapeLiteral'>, setting: string): string {
  const at = setting.indexOf('=');
  const name = setting.slice(0, at);
  const value = setting.slice(at + 1);
  const values = LIST_SETTINGS.has(name.toLowerCase()) ? splitSettingList(value) : [value];
  const literals = values.length === 0 ? ["''"] : values.map((v) => client.escapeLiteral(v));
  return `SET ${quoteIdent(name)} TO ${literals.join(', ')}`;
}

/** The elements of a list setting as PostgreSQL writes it: comma-separated, double-quoted where needed. */
export function splitSettingList(value: string): string[] {
  const elements: string[] = [];
  const pattern = /\s*(?:"((?:[^"]|"")*)"|([^,]*?))\s*(?:,|$)/gy;
  if (value.trim() === '') return elements;
  for (let match = pattern.exec(value); match !== null; match = pattern.exec(value)) {
    elements.push(match[1] === undefined ? (match[2] ?? '') : match[1].replaceAll('""', '"'));
    if (pattern.lastIndex >= value.length) break;
  }
  return elements;
}

/**
 * REVOKE / GRANT statements that leave the database with exactly the recorded privileges. A database whose
 * privileges are the defaults on both sides (no ACL) is left alone.
 */
async function aclStatements(
  client: pg.Client,
  database: string,
  properties: DatabaseProperties,
  usable: (role: string | null) => boolean,
): Promise<string[]> {
  // Without an ACL the defaults apply (the owner's privileges included): those are revoked too.
  const current = await client.query<{ grantee: string | null }>(
    `SELECT DISTINCT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee) END AS grantee
       FROM pg_catalog.pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
      WHERE d.datname = $1`,
    [database],
  );
  const explicit = await client.query(
    'SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1 AND datacl IS NOT NULL',
    [database],
  );
  if (properties.acl === null && explicit.rowCount === 0) return [];
  const target = quoteIdent(database);
  const wanted = properties.acl ?? defaultAcl(properties.owner);
  const grantee = (name: string | null) => (name === null ? 'PUBLIC' : quoteIdent(name));
  return [
    ...[null, ...current.rows.map((r) => r.grantee)].map(
      (name) => `REVOKE ALL ON DATABASE ${target} FROM ${grantee(name)} CASCADE`,
    ),
    ...wanted
      .filter((entry) => usable(entry.grantee))
      .map(
        (entry: AclEntry) =>
          `GRANT ${entry.privilege} ON DATABASE ${target} TO ${grantee(entry.grantee)}${entry.grantable ? ' WITH GRANT OPTION' : ''}`,
      ),
  ];
}

/** What a database without an ACL allows: PUBLIC connects and creates temporary tables, the owner everything. */
function defaultAcl(owner: string): AclEntry[] {
  return [
    { grantee: null, privilege: 'CONNECT', grantable: false },
    { grantee: null, privilege: 'TEMPORARY', grantable: false },
    ...['CREATE', 'CONNECT', 'TEMPORARY'].map((privilege) => ({
      grantee: owner,
      privilege,
      grantable: false,
    })),
  ];
}

async function run(client: pg.Client, statements: readonly string[], context: ApplyContext): Promise<void> {
  for (const sql of statements) {
    try {
      await client.query(sql);
    } catch (error) {
      throw new SourceError(
        `source "${context.instance}": database "${context.shownAs}" could not be given the owner, privileges or settings the backup recorded: ${(error as Error).message} (running: ${sql}; ${context.inPlace ? 'its data is restored' : 'it is unchanged, the restored copy is dropped'})`,
        { cause: error },
      );
    }
  }
}

function missingRolesWarning(context: ApplyContext, owner: string, roles: readonly string[]): string {
  const fix = context.globals
    ? 'the backup does not store them (its source lacked globals: true when it was made): create them, then grant or set by hand'
    : 'restore with --globals to recreate the roles stored with the backup (globals: true), or create them first';
  const ownerNote = roles.includes(owner) ? `, and it is not owned by "${owner}"` : '';
  return `source "${context.instance}": role(s) ${roles.join(', ')} do not exist on this server: database "${context.shownAs}" is restored without the privileges and settings the backup gives them${ownerNote}; ${fix}`;
}
