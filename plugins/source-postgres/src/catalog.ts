import type { TableCount } from '@tricopy/contract';
import type pg from 'pg';
import { quoteIdent } from './connection.js';

export interface TableName {
  readonly schema: string;
  readonly name: string;
}

/** Ordinary tables and leaf partitions whose data pg_dump writes (no catalogs, no extension members). */
export async function listTables(client: pg.Client, schemas?: readonly string[]): Promise<TableName[]> {
  const result = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r'
        AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                         WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[]))
      ORDER BY 1, 2`,
    [schemas === undefined ? null : [...schemas]],
  );
  return result.rows;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** `schema.table` or `table` (any schema), exact case, `*` for any run of characters. */
export function matchesPattern(table: TableName, pattern: string): boolean {
  const dot = pattern.indexOf('.');
  if (dot === -1) return globToRegExp(pattern).test(table.name);
  return (
    globToRegExp(pattern.slice(0, dot)).test(table.schema) &&
    globToRegExp(pattern.slice(dot + 1)).test(table.name)
  );
}

export function tableLabel(table: TableName): string {
  return `${table.schema}.${table.name}`;
}

/** A pg_dump pattern that matches exactly this name: inside double quotes no character is special. */
export function exactPattern(name: string): string {
  return quoteIdent(name);
}

export async function countRows(client: pg.Client, tables: readonly TableName[]): Promise<TableCount[]> {
  const counts: TableCount[] = [];
  for (const table of tables) {
    const result = await client.query<{ rows: string }>(
      `SELECT count(*) AS rows FROM ${quoteIdent(table.schema)}.${quoteIdent(table.name)}`,
    );
    counts.push({ name: tableLabel(table), rows: Number(result.rows[0]!.rows), exact: true });
  }
  return counts;
}
