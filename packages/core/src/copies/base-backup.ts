import type { BackupRow } from '../catalog/catalog.js';
import { parseWalName } from './wal-names.js';

/**
 * A physical base backup as point-in-time recovery sees it, from its details (`kind: 'base'`), which stay readable
 * in the manifest of an encrypted backup too.
 */
export interface BaseBackup {
  readonly backupId: string;
  readonly stopTime: string;
  readonly startWal: string;
  readonly stopWal: string;
  readonly timeline: number;
}

/** The job's base backups PITR can start from: good (ok or degraded), not pruned, with base details. */
export function baseBackupsOf(backups: readonly BackupRow[]): BaseBackup[] {
  return backups.flatMap((backup) => {
    if (backup.prunedAt !== null || (backup.status !== 'ok' && backup.status !== 'degraded')) return [];
    const details = baseDetailsOf(backup.manifest?.source.details);
    return details === undefined ? [] : [{ backupId: backup.id, ...details }];
  });
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

/** The base backup that stopped first: the WAL it needs is the oldest WAL any base needs. */
export function oldestBase(bases: readonly BaseBackup[]): BaseBackup | undefined {
  return [...bases].sort((a, b) => (a.stopTime < b.stopTime ? -1 : a.stopTime > b.stopTime ? 1 : 0))[0];
}
