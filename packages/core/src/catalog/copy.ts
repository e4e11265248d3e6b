import { IntegrityError } from '../util/errors.js';
import type { Catalog } from './catalog.js';
import { RECORD_TABLE_ORDER, RECORD_TABLES, type RecordTable } from './records.js';
import type { Row } from './rows.js';

const PAGE = 500;

export type RecordCounts = Record<RecordTable, number>;

export interface CatalogCopyReport {
  /** copied: the target was empty and now holds every record; present: it already held every one, unchanged. */
  readonly outcome: 'copied' | 'present';
  /** The source's records, per table. */
  readonly records: RecordCounts;
}

/**
 * Copies every record of `from` into `to` exactly as stored (ids, times, statuses, manifests byte for byte), in one
 * transaction on each side: all of it or nothing, with writers of either kept out meanwhile. A target that already holds every record of the source, each
 * unchanged, is left alone (running the copy again is harmless, even after new backups were recorded there);
 * any other non-empty target is refused with the first difference.
 */
export function copyCatalog(from: Catalog, to: Catalog): Promise<CatalogCopyReport> {
  return from.transaction((source) =>
    to.transaction(async (target) => {
      await target.lockRecords();
      if (await isEmpty(target)) return { outcome: 'copied', records: await copyRecords(source, target) };
      return { outcome: 'present', records: await checkPresent(source, target) };
    }),
  );
}

async function isEmpty(catalog: Catalog): Promise<boolean> {
  for (const table of RECORD_TABLE_ORDER) {
    if ((await catalog.records(table, { offset: 0, limit: 1 })).length > 0) return false;
  }
  return true;
}

/** Every page of `table`'s records, in key order. */
async function* pages(catalog: Catalog, table: RecordTable): AsyncGenerator<Row[]> {
  for (let offset = 0; ; offset += PAGE) {
    const rows = await catalog.records(table, { offset, limit: PAGE });
    if (rows.length > 0) yield rows;
    if (rows.length < PAGE) return;
  }
}

async function copyRecords(source: Catalog, target: Catalog): Promise<RecordCounts> {
  const counts = zeroCounts();
  for (const table of RECORD_TABLE_ORDER) {
    for await (const rows of pages(source, table)) {
      await target.addRecords(table, rows);
      counts[table] += rows.length;
    }
  }
  return counts;
}

async function checkPresent(source: Catalog, target: Catalog): Promise<RecordCounts> {
  const counts = zeroCounts();
  for (const table of RECORD_TABLE_ORDER) {
    const held = new Map<string, string>();
    for await (const rows of pages(target, table)) {
      for (const row of rows) held.set(keyOf(table, row), valuesOf(table, row));
    }
    for await (const rows of pages(source, table)) {
      for (const row of rows) {
        const found = held.get(keyOf(table, row));
        if (found !== valuesOf(table, row)) throw conflict(table, row, found === undefined);
      }
      counts[table] += rows.length;
    }
  }
  return counts;
}

/** The target holds records that are not the source's: copying would mix two histories. */
function conflict(table: RecordTable, row: Row, missing: boolean): IntegrityError {
  const which = RECORD_TABLES[table].key.map((column) => `${column} ${String(row[column])}`).join(', ');
  return new IntegrityError(
    `the target catalog is not empty and holds other records (${table} ${which} ${missing ? 'is not in it' : 'differs there'}): copy into an empty catalog`,
  );
}

function keyOf(table: RecordTable, row: Row): string {
  return JSON.stringify(RECORD_TABLES[table].key.map((column) => row[column]));
}

function valuesOf(table: RecordTable, row: Row): string {
  return JSON.stringify(RECORD_TABLES[table].columns.map((column) => row[column] ?? null));
}

function zeroCounts(): RecordCounts {
  return Object.fromEntries(RECORD_TABLE_ORDER.map((table) => [table, 0])) as RecordCounts;
}
