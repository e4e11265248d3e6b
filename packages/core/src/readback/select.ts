import type { BackupRow, CopyRow } from '../catalog/catalog.js';
import { countedCopies } from '../copies/copy-state.js';
import { rankByCost } from '../session/rank-by-cost.js';
import type { Session } from '../session/session.js';
import { UsageError } from '../util/errors.js';

export interface Selection {
  readonly backupId?: string;
  readonly latest?: boolean;
  readonly all?: boolean;
  readonly job?: string;
}

/** Backups that hold at least one copy (ok or degraded), newest first, narrowed by id, job and --latest. */
export async function selectBackups(session: Session, selection: Selection): Promise<BackupRow[]> {
  if (selection.job !== undefined) session.job(selection.job);
  if (selection.backupId !== undefined) {
    const backup = await session.catalog.getBackup(selection.backupId);
    if (backup === undefined)
      throw new UsageError(`no backup with id ${selection.backupId} in the catalog (see tricopy list)`);
    if (selection.job !== undefined && backup.job !== selection.job) {
      throw new UsageError(`backup ${selection.backupId} belongs to job ${backup.job}, not ${selection.job}`);
    }
    return [backup];
  }
  const candidates = await session.catalog.listBackups({
    statuses: ['ok', 'degraded'],
    ...(selection.job === undefined ? {} : { job: selection.job }),
  });
  if (selection.latest) {
    const newestPerJob = new Map<string, BackupRow>();
    for (const backup of candidates) if (!newestPerJob.has(backup.job)) newestPerJob.set(backup.job, backup);
    return [...newestPerJob.values()];
  }
  if (selection.all) return candidates;
  throw new UsageError('say which backups: --latest, --all, or a backup id');
}

/** Copies worth reading: not deleted, not known to be failed. */
export async function usableCopies(session: Session, backupId: string): Promise<CopyRow[]> {
  return countedCopies(await session.catalog.listCopies(backupId), 'readable');
}

/** Cheapest first: see rankByCost. */
export function rankCopies(session: Session, copies: readonly CopyRow[]): Promise<CopyRow[]> {
  return rankByCost(session, copies);
}
