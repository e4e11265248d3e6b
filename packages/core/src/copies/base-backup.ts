import { parseWalName } from './wal-names.js';

/**
 * A physical base backup as point-in-time recovery sees it. From the backup's details (`kind: 'base'`) when they
 * can be read; an encrypted backup opened without its identity has only the catalog's times: then `startWal` is
 * unknown and `stopTime` is when the backup finished (never earlier than the real stop).
 */
export interface BaseBackup {
  readonly backupId: string;
  /** When the backup run started (the catalog's clock, the same as the WAL files' storedAt). */
  readonly startedAt: string;
  readonly stopTime: string;
  readonly startWal?: string;
  readonly stopWal?: string;
  readonly timeline?: number;
}

/** The base-backup facts in a backup's source details; undefined when they are not a base backup's. */
export function baseDetailsOf(
  details: Readonly<Record<string, unknown>> | undefined,
): { startWal: string; stopWal: string; timeline: number; stopTime: string } | undefined {
  if (details?.kind !== 'base') return undefined;
  const { startWal, stopWal, timeline, stopTime } = details;
  if (typeof startWal !== 'string' || parseWalName(startWal)?.kind !== 'segment') return undefined;
  if (typeof stopWal !== 'string' || parseWalName(stopWal)?.kind !== 'segment') return undefined;
  if (typeof stopTime !== 'string' || Number.isNaN(Date.parse(stopTime))) return undefined;
  const tli = typeof timeline === 'number' ? timeline : Number(timeline);
  if (!Number.isInteger(tli) || tli < 1) return undefined;
  return { startWal, stopWal, timeline: tli, stopTime: new Date(stopTime).toISOString() };
}
