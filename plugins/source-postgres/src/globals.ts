import type { Logger } from '@tricopy/contract';
import { SourceError } from '@tricopy/contract';
import { firstErrorLine, MAX_GLOBALS_BYTES } from '@tricopy/plugin-support';
import type pg from 'pg';
import { resolveTool } from './binaries.js';
import { type ConnectionSettings, connect } from './connection.js';
import { keepRoles, parseRoleStatements, type RoleStatement } from './role-statements.js';
import { dbnameConninfo, toolEnv } from './tool-env.js';

const NON_SYSTEM = `nspname !~ '^pg_' AND nspname <> 'information_schema'`;

/**
 * The roles the database uses: its owner, the roles with settings in it (ALTER ROLE … IN DATABASE), the owners
 * of its schemas, relations, functions, types and large objects, every grantee in their ACLs and default ACLs, and
 * every member of those (the logins that use the database through a group role), recursively. PUBLIC and the predefined pg_* roles are no roles to store.
 */
const USED_ROLES_SQL = `
WITH RECURSIVE used(oid) AS (
  SELECT datdba FROM pg_database WHERE datname = current_database()
  UNION SELECT (aclexplode(datacl)).grantee FROM pg_database WHERE datname = current_database() AND datacl IS NOT NULL
  UNION SELECT nspowner FROM pg_namespace WHERE ${NON_SYSTEM}
  UNION SELECT (aclexplode(nspacl)).grantee FROM pg_namespace WHERE ${NON_SYSTEM} AND nspacl IS NOT NULL
  UNION SELECT c.relowner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${NON_SYSTEM}
  UNION SELECT (aclexplode(c.relacl)).grantee FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE ${NON_SYSTEM} AND c.relacl IS NOT NULL
  UNION SELECT (aclexplode(a.attacl)).grantee FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${NON_SYSTEM} AND a.attacl IS NOT NULL
  UNION SELECT p.proowner FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${NON_SYSTEM}
  UNION SELECT (aclexplode(p.proacl)).grantee FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE ${NON_SYSTEM} AND p.proacl IS NOT NULL
  UNION SELECT t.typowner FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE ${NON_SYSTEM}
  UNION SELECT defaclrole FROM pg_default_acl
  UNION SELECT (aclexplode(defaclacl)).grantee FROM pg_default_acl
  UNION SELECT lomowner FROM pg_largeobject_metadata
  UNION SELECT s.setrole FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
    WHERE d.datname = current_database() AND s.setrole <> 0
  UNION SELECT m.member FROM pg_auth_members m JOIN used u ON m.roleid = u.oid
)
SELECT rolname FROM pg_roles WHERE oid IN (SELECT oid FROM used) AND rolname !~ '^pg_' ORDER BY rolname`;

/** What the globals section of a backup holds, for the manifest (names only: never a password hash). */
export interface GlobalsDump {
  readonly sql: Buffer;
  readonly roles: readonly string[];
}

/**
 * `pg_dumpall --roles-only` (password hashes included; a role that may not read them gets the roles without,
 * with a warning), kept to the statements about the roles the database uses.
 */
export async function dumpGlobals(
  settings: ConnectionSettings,
  workDir: string,
  logger: Logger,
  signal?: AbortSignal,
): Promise<GlobalsDump> {
  const used = await usedRoles(settings);
  let text: string;
  try {
    text = await pgDumpall(settings, workDir, ['--roles-only'], signal);
  } catch (error) {
    if (!/pg_authid/.test(String((error as SourceError).details ?? ''))) throw error;
    logger.warn(
      `source "${settings.instance}": user "${settings.options.user}" may not read password hashes (pg_authid): roles are kept without passwords`,
    );
    text = await pgDumpall(settings, workDir, ['--roles-only', '--no-role-passwords'], signal);
  }
  const kept = keepRoles(parseRoleStatements(text), used);
  const sql = Buffer.from(kept.map((s) => `${s.sql}\n`).join(''));
  return { sql, roles: [...used].sort() };
}

async function usedRoles(settings: ConnectionSettings): Promise<Set<string>> {
  const client = await connect(settings, settings.options.database);
  try {
    const result = await client.query<{ rolname: string }>(USED_ROLES_SQL);
    return new Set(result.rows.map((r) => r.rolname));
  } finally {
    await client.end().catch(() => {});
  }
}

async function pgDumpall(
  settings: ConnectionSettings,
  workDir: string,
  args: readonly string[],
  signal: AbortSignal | undefined,
): Promise<string> {
  const { options, instance } = settings;
  const file = await resolveTool('pg_dumpall', options, settings.configDir, instance);
  const tools = await toolEnv(settings, workDir);
  try {
    // Loaded here, not with the module: a dump without cluster globals never needs execa.
    const { execa } = await import('execa');
    const child = await execa(
      file,
      [...args, '--no-password', `--dbname=${dbnameConninfo(options.maintenanceDatabase)}`],
      {
        env: tools.env,
        extendEnv: false,
        stdin: 'ignore',
        reject: false,
        maxBuffer: MAX_GLOBALS_BYTES,
        ...(signal === undefined ? {} : { cancelSignal: signal }),
      },
    );
    if (child.exitCode !== 0) {
      const detail = settings.redact(String(child.stderr));
      throw new SourceError(
        `source "${instance}": pg_dumpall ${args.join(' ')} failed: ${firstErrorLine(detail) ?? `exit ${child.exitCode}`}`,
        { details: detail },
      );
    }
    return String(child.stdout);
  } finally {
    await tools.dispose();
  }
}

export interface GlobalsRestore {
  readonly created: readonly string[];
  /** Already on the server: left exactly as they are. */
  readonly existing: readonly string[];
}

/**
 * Creates the roles of the section that the server lacks (with their attributes, settings, comments and
 * memberships), in one transaction, before the data is restored. Roles that exist are left alone, memberships
 * between existing roles too; a grantor that does not exist here is dropped from its GRANT (the restoring user
 * grants instead).
 */
export async function restoreGlobals(settings: ConnectionSettings, sql: Buffer): Promise<GlobalsRestore> {
  const statements = parseRoleStatements(sql.toString('utf8'));
  const named = [...new Set(statements.filter((s) => s.kind === 'create').map((s) => s.role))];
  const client = await connect(settings, settings.options.maintenanceDatabase);
  try {
    const present = await existingRoles(client, [
      ...named,
      ...statements.flatMap((s) => (s.grantor === undefined ? [] : [s.grantor])),
    ]);
    const created = named.filter((role) => !present.has(role));
    const fresh = new Set(created);
    const runs = statements.filter((s) => (s.kind === 'grant' ? grantApplies(s, fresh) : fresh.has(s.role)));
    await client.query('BEGIN');
    try {
      for (const statement of runs) await client.query(withoutMissingGrantor(statement, present, fresh));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw new SourceError(
        `source "${settings.instance}": recreating the roles failed: ${settings.redact(String((error as Error).message))}`,
        { cause: error },
      );
    }
    return { created, existing: named.filter((role) => present.has(role)) };
  } finally {
    await client.end().catch(() => {});
  }
}

/** A membership is restored when either side is a role created now. */
function grantApplies(statement: RoleStatement, fresh: ReadonlySet<string>): boolean {
  return fresh.has(statement.role) || fresh.has(statement.member ?? '');
}

function withoutMissingGrantor(
  statement: RoleStatement,
  present: ReadonlySet<string>,
  fresh: ReadonlySet<string>,
): string {
  const grantor = statement.grantor;
  if (grantor === undefined || present.has(grantor) || fresh.has(grantor)) return statement.sql;
  const at = statement.sql.lastIndexOf(' GRANTED BY ');
  return `${statement.sql.slice(0, at)};`;
}

async function existingRoles(client: pg.Client, names: readonly string[]): Promise<Set<string>> {
  const result = await client.query<{ rolname: string }>(
    'SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])',
    [names],
  );
  return new Set(result.rows.map((r) => r.rolname));
}
