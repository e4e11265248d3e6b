/**
 * Rotating verification: which copies to re-hash now so that every copy of every kept backup is re-read within the
 * `deep` window, and whether the latest backup is due for a restore test. Pure: the caller passes the clock.
 */

export interface RotationCopy {
  readonly backupId: string;
  readonly destination: string;
  /** When the backup finished: a copy never deep-verified counts as read then (its bytes were hashed as written). */
  readonly finishedAt: Date;
  /** The copy's last deep verification (any outcome), or null. */
  readonly lastDeepAt: Date | null;
}

export interface RotationInput {
  readonly now: Date;
  /** How often the caller asks (e.g. each hour): the share of the copies picked per tick follows from it. */
  readonly tickMs: number;
  readonly deepMs?: number;
  readonly restoreTestMs?: number;
  /** Every copy of every kept (not pruned, good) backup of the job. */
  readonly copies: readonly RotationCopy[];
  /** The newest good backup of the job, and the job's last restore test of any backup. */
  readonly latestBackupId: string | null;
  readonly lastRestoreTestAt: Date | null;
}

export interface RotationDue {
  /** The copies to re-hash now, oldest read first. */
  readonly deep: readonly RotationCopy[];
  /** The backup to restore-test now, or null. */
  readonly restoreTest: string | null;
}

const lastRead = (c: RotationCopy) => (c.lastDeepAt ?? c.finishedAt).getTime();

/**
 * Every copy whose last read is a whole window old, plus the oldest-read others up to `copies × tick / window`
 * per tick (rounded up), so that a window's ticks cover every copy once.
 */
export function pickDeep(input: RotationInput): RotationCopy[] {
  const { deepMs } = input;
  if (deepMs === undefined || input.copies.length === 0) return [];
  const now = input.now.getTime();
  const oldest = [...input.copies].sort((a, b) => lastRead(a) - lastRead(b));
  const share = Math.ceil((input.copies.length * input.tickMs) / deepMs);
  const overdue = oldest.filter((c) => now - lastRead(c) >= deepMs).length;
  // Copies read within the last tick are not due yet, whatever the share.
  const readable = oldest.filter((c) => now - lastRead(c) >= Math.min(input.tickMs, deepMs)).length;
  return oldest.slice(0, Math.min(Math.max(overdue, share), readable));
}

export function pickRestoreTest(input: RotationInput): string | null {
  const { restoreTestMs, latestBackupId, lastRestoreTestAt } = input;
  if (restoreTestMs === undefined || latestBackupId === null) return null;
  if (lastRestoreTestAt !== null && input.now.getTime() - lastRestoreTestAt.getTime() < restoreTestMs)
    return null;
  return latestBackupId;
}

export function dueVerifications(input: RotationInput): RotationDue {
  return { deep: pickDeep(input), restoreTest: pickRestoreTest(input) };
}
