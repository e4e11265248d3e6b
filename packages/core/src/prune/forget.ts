import type { BackupRow, CopyRow } from '../catalog/catalog.js';
import { copyCounts } from '../copies/copy-state.js';
import { withJobLock } from '../locks/job-lock.js';
import type { Session } from '../session/session.js';
import { describeError, UsageError } from '../util/errors.js';
import { type PrunedCopy, prunedCopyBase, removeCopy } from './prune.js';

export interface ForgetOptions {
  readonly dryRun?: boolean;
  /** Also the job's newest verified backup (refused otherwise). */
  readonly force?: boolean;
}

export interface ForgetReport {
  readonly backupId: string;
  readonly job: string;
  readonly dryRun: boolean;
  /** Per destination, as prune reports it. */
  readonly removed: readonly (PrunedCopy & { readonly destination: string })[];
  /** Set once no copy is left anywhere (the catalog marks the backup pruned). */
  readonly forgotten: boolean;
  readonly ok: boolean;
}

/**
 * Removes one backup from every destination, under prune's rules (the copy is marked `deleting` first, its manifest
 * goes before its artifact, a stored object whose size the catalog does not expect is left alone), then marks it
 * pruned in the catalog. Refused for a backup still running, and, unless `force`, for the job's newest verified
 * backup (and its newest verified one that is not flagged as anomalous).
 */
export async function forgetBackup(
  session: Session,
  backupId: string,
  options: ForgetOptions = {},
): Promise<ForgetReport> {
  const backup = await session.catalog.getBackup(backupId);
  if (backup === undefined)
    throw new UsageError(`no backup with id ${backupId} in the catalog (see tricopy list)`);
  if (backup.status === 'running')
    throw new UsageError(`backup ${backupId} is still running; forget it once it has finished`);
  if (options.force !== true) await refuseIfNewestVerified(session, backup);
  const dryRun = options.dryRun === true;
  const removed: ForgetReport['removed'][number][] = [];
  const locked = await withJobLock(session, backup.job, 'forget', dryRun, async () => {
    for (const copy of await session.catalog.listCopies(backup.id)) {
      if (copy.status === 'deleted') continue;
      removed.push({ destination: copy.destination, ...(await removeOne(session, backup, copy, dryRun)) });
    }
    const left = (await session.catalog.listCopies(backup.id)).filter((c) => c.status !== 'deleted');
    if (!dryRun && left.length === 0 && backup.prunedAt === null) await session.catalog.markPruned(backup.id);
  });
  if (!locked.ran) throw new UsageError(`backup ${backupId} not forgotten: ${locked.message}`);
  const ok = removed.every((r) => r.status === 'deleted' || r.status === 'would-delete');
  const forgotten = (await session.catalog.getBackup(backup.id))?.prunedAt != null;
  return { backupId: backup.id, job: backup.job, dryRun, removed, forgotten, ok };
}

async function removeOne(
  session: Session,
  backup: BackupRow,
  copy: CopyRow,
  dryRun: boolean,
): Promise<PrunedCopy> {
  const base = prunedCopyBase(backup, copy);
  if (!session.config.destinations.has(copy.destination)) {
    const error = `destination ${copy.destination} is no longer in the config: remove ${copy.key} by hand`;
    return { ...base, status: 'error', error };
  }
  try {
    const destination = await session.destination(copy.destination);
    return await removeCopy(session, destination, copy.destination, backup, copy, dryRun);
  } catch (error) {
    return { ...base, status: 'error', error: session.redact(describeError(error)) };
  }
}

/** The job's newest backup with a verified copy is its last known good one: never removed without --force. */
async function refuseIfNewestVerified(session: Session, backup: BackupRow): Promise<void> {
  const verified: BackupRow[] = [];
  for (const b of await session.catalog.listBackups({ job: backup.job })) {
    if (b.prunedAt !== null) continue;
    if ((await session.catalog.listCopies(b.id)).some((c) => copyCounts(c))) verified.push(b);
  }
  const newest = verified[0];
  const newestUnflagged = verified.find((b) => b.flagged === null || b.confirmedAt !== null);
  const why =
    newest?.id === backup.id
      ? `the newest verified backup of job ${backup.job}`
      : newestUnflagged?.id === backup.id
        ? `the newest verified backup of job ${backup.job} that is not flagged as anomalous`
        : undefined;
  if (why !== undefined) {
    throw new UsageError(
      `backup ${backup.id} is ${why}: refusing to forget it (pass --force to remove it anyway)`,
    );
  }
}
