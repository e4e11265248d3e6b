import type { WalFileKind } from '../catalog/catalog.js';

/** What PostgreSQL's WAL file names say: `TTTTTTTTXXXXXXXXYYYYYYYY` (a segment) or `TTTTTTTT.history`. */
const SEGMENT = /^[0-9A-F]{24}$/;
const HISTORY = /^[0-9A-F]{8}\.history$/;

/** Whether `name` is a WAL file name the archive may hold (the only names used in keys and asked for by wal-fetch). */
export function isWalFileName(name: string): boolean {
  return SEGMENT.test(name) || HISTORY.test(name);
}

export function walKindOf(name: string): WalFileKind {
  return HISTORY.test(name) ? 'history' : 'segment';
}

/** The timeline a WAL file belongs to (its first eight hex digits). */
export function timelineOf(name: string): number {
  return Number.parseInt(name.slice(0, 8), 16);
}
