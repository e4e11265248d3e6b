import type { JobResult } from '../results/backup-result.js';
import type { Session } from '../session/session.js';
import { formatBytes } from '../util/duration.js';

/**
 * Flags a backup that is drastically smaller than the job's previous good backup (below `shrinkThreshold` of its
 * size, same compression). A flagged backup blocks pruning of its job until someone runs `tricopy confirm`.
 * Returns the reason when it flagged.
 */
export async function flagIfShrunk(session: Session, result: JobResult): Promise<string | undefined> {
  if (result.status === 'failed' || result.size === undefined || result.backupId === '') return undefined;
  const threshold = session.job(result.job).retention?.shrinkThreshold ?? 0.5;
  if (threshold <= 0) return undefined;
  const good = await session.catalog.listBackups({ job: result.job, statuses: ['ok', 'degraded'] });
  const seq = good.find((b) => b.id === result.backupId)?.seq ?? Number.POSITIVE_INFINITY;
  const previous = good.find((b) => b.seq < seq && b.size !== null);
  if (previous?.size == null || previous.size === 0) return undefined;
  if ((previous.compression ?? 'none') !== (result.compression ?? 'none')) return undefined;
  if (result.size >= previous.size * threshold) return undefined;
  const percent = ((result.size / previous.size) * 100).toFixed(1);
  const reason =
    `${formatBytes(result.size)} is ${percent}% of the previous backup ${previous.id} (${formatBytes(previous.size)}), ` +
    `below shrinkThreshold ${threshold}`;
  await session.catalog.flagBackup(result.backupId, reason);
  session.logger.warn(
    `job ${result.job}: backup ${result.backupId} is suspiciously small: ${reason}; pruning of this job is blocked ` +
      `until you check it and run: tricopy confirm ${result.backupId}`,
  );
  return reason;
}

/** Backups of a job that are flagged and not yet confirmed (and not pruned). */
export async function unconfirmedFlags(
  session: Session,
  job: string,
): Promise<{ id: string; reason: string }[]> {
  return (await session.catalog.listBackups({ job }))
    .filter((b) => b.flagged !== null && b.confirmedAt === null && b.prunedAt === null)
    .map((b) => ({ id: b.id, reason: b.flagged as string }));
}
