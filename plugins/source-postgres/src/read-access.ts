import { SourceError } from '@tricopy/contract';
import type pg from 'pg';
import { matchesPattern, tableLabel } from './catalog.js';

const SHOWN = 5;

/** Tables and sequences pg_dump will read that this role may not SELECT (or whose schema it may not USE). */
async function unreadableRelations(client: pg.Client, schemas: readonly string[] | undefined) {
  const result = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'S')
        AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                         WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[]))
        AND NOT (pg_catalog.has_schema_privilege(n.oid, 'USAGE') AND pg_catalog.has_table_privilege(c.oid, 'SELECT'))
      ORDER BY 1, 2`,
    [schemas === undefined ? null : [...schemas]],
  );
  return result.rows;
}

/** Large objects (dumped with the whole database) this role may not read: not its own, no SELECT granted. */
async function unreadableLargeObjects(client: pg.Client): Promise<string[]> {
  const compat = await client.query<{ on: boolean }>(
    "SELECT current_setting('lo_compat_privileges') = 'on' AS on",
  );
  if (compat.rows[0]?.on) return [];
  const result = await client.query<{ oid: string }>(
    `SELECT m.oid::text AS oid FROM pg_catalog.pg_largeobject_metadata m
      WHERE NOT pg_catalog.pg_has_role(m.lomowner, 'USAGE')
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(m.lomacl) a
                         WHERE a.privilege_type = 'SELECT'
                           AND (a.grantee = 0 OR pg_catalog.pg_has_role(a.grantee, 'USAGE')))
      ORDER BY m.oid LIMIT ${SHOWN + 1}`,
  );
  return result.rows.map((row) => row.oid);
}

/**
 * Refuses, with what to fix, a role that could connect but could not dump: pg_dump stops at the first table,
 * sequence or large object it may not read, so `check` probes the same set.
 */
export async function assertCanReadDump(
  client: pg.Client,
  settings: { instance: string; user: string; schemas?: readonly string[]; excludeTables: readonly string[] },
): Promise<void> {
  const role = await client.query<{ super: boolean }>(
    'SELECT rolsuper AS super FROM pg_catalog.pg_roles WHERE rolname = current_user',
  );
  if (role.rows[0]?.super) return;
  const relations = (await unreadableRelations(client, settings.schemas)).filter(
    (table) => !settings.excludeTables.some((pattern) => matchesPattern(table, pattern)),
  );
  const largeObjects = settings.schemas === undefined ? await unreadableLargeObjects(client) : [];
  const blocked = [
    ...relations.map((table) => `table ${tableLabel(table)}`),
    ...largeObjects.map((oid) => `large object ${oid}`),
  ];
  if (blocked.length === 0) return;
  const shown = blocked.slice(0, SHOWN).join(', ') + (blocked.length > SHOWN ? ', …' : '');
  throw new SourceError(
    `${settings.instance}: user "${settings.user}" cannot read everything pg_dump would dump: ${shown} (grant SELECT on them, or leave tables out with excludeTables or schemas)`,
  );
}
