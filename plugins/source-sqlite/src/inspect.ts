import type { TableCount } from '@tricopy/contract';
import type { Database } from 'better-sqlite3';

/** The lines of `PRAGMA integrity_check`; `['ok']` for a sound database. */
export function integrityCheck(db: Database): string[] {
  const rows = db.pragma('integrity_check') as { integrity_check: unknown }[];
  return rows.map((row) => String(row.integrity_check));
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Exact row counts of the ordinary tables (not SQLite's own, not virtual tables), by name. */
export function countTables(db: Database): TableCount[] {
  const names = db
    .prepare(
      `SELECT name FROM sqlite_master
       WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'
       ORDER BY name`,
    )
    .pluck()
    .all() as string[];
  return names.map((name) => ({
    name,
    rows: Number(
      db
        .prepare(`SELECT count(*) FROM ${quoteIdentifier(name)}`)
        .pluck()
        .get(),
    ),
    exact: true,
  }));
}

export interface DatabaseFacts {
  readonly engineVersion: string;
  readonly journalMode: string;
  readonly pageSize: number;
  readonly pageCount: number;
}

export function databaseFacts(db: Database): DatabaseFacts {
  return {
    engineVersion: String(db.prepare('SELECT sqlite_version()').pluck().get()),
    journalMode: String(db.pragma('journal_mode', { simple: true })),
    pageSize: Number(db.pragma('page_size', { simple: true })),
    pageCount: Number(db.pragma('page_count', { simple: true })),
  };
}
