import { type BackupRow, backupPolicy, type Session, shownLevel } from '@tricopy/core';

/** What `list` shows as a backup's status: the stored status, or what became of it. */
export type ListState = 'ok' | 'degraded' | 'failed' | 'running' | 'interrupted' | 'pruned' | 'flagged';

export interface BackupView {
  readonly backupId: string;
  readonly job: string;
  readonly status: BackupRow['status'];
  /** `status`, or `pruned`, or `interrupted` for a backup marked running whose process is gone. */
  readonly state: Exclude<ListState, 'flagged'>;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly size: number | null;
  readonly sha256: string | null;
  readonly compression: string | null;
  /** Whether the artifact is age-encrypted, and the recipients (public keys) that can open it. */
  readonly encrypted: boolean;
  readonly recipients: readonly string[];
  readonly format: string | null;
  readonly error: string | null;
  readonly flagged: string | null;
  /** Flagged as anomalous and not confirmed (pruning of its job is blocked). */
  readonly flaggedNow: boolean;
  readonly confirmedAt: string | null;
  readonly prunedAt: string | null;
  /** Its 3-2-1 status; `copies`: how many of its copies count (verified, on a destination still configured). */
  readonly policy: {
    readonly met: boolean;
    readonly summary: string;
    readonly shortfall: string;
    readonly copies: number;
  };
  readonly lastVerified: { readonly at: string; readonly level: string; readonly status: string } | null;
  readonly copies: readonly {
    readonly destination: string;
    readonly status: string;
    readonly size: number | null;
    readonly sha256: string | null;
    readonly location: string | null;
    readonly error: string | null;
    /** The copy's last deep verification (every byte re-hashed), of any outcome, or null. */
    readonly lastDeepVerifiedAt: string | null;
  }[];
}

/**
 * One backup with its copies, 3-2-1 status and last verification. `alive` says whether a backup still marked
 * running has a live process behind it (false: it was interrupted; undefined: cannot tell, e.g. another host).
 */
export async function describeBackup(
  session: Session,
  backup: BackupRow,
  alive?: boolean,
): Promise<BackupView> {
  const copies = await session.catalog.listCopies(backup.id);
  const policy = backupPolicy(copies, session.config);
  const verifications = await session.catalog.listVerifications(backup.id);
  // The backup's own cross-check of each copy (level `backup`) counts: it is an `exists` check.
  const last = verifications.at(-1);
  const deepChecks = verifications.filter((v) => v.level === 'deep');
  const lastDeep = (destination: string) =>
    deepChecks.filter((v) => v.destination === destination).at(-1)?.checkedAt ?? null;
  const state: Exclude<ListState, 'flagged'> =
    backup.prunedAt !== null
      ? 'pruned'
      : backup.status === 'running' && alive === false
        ? 'interrupted'
        : backup.status;
  return {
    backupId: backup.id,
    job: backup.job,
    status: backup.status,
    state,
    startedAt: backup.startedAt,
    finishedAt: backup.finishedAt,
    size: backup.size,
    sha256: backup.sha256,
    compression: backup.compression,
    encrypted: backup.manifest?.encryption !== undefined,
    recipients: backup.manifest?.encryption?.recipients ?? [],
    format: backup.format,
    error: backup.error,
    flagged: backup.flagged,
    flaggedNow: backup.flagged !== null && backup.confirmedAt === null && backup.prunedAt === null,
    confirmedAt: backup.confirmedAt,
    prunedAt: backup.prunedAt,
    policy: { met: policy.met, summary: policy.summary, shortfall: policy.shortfall, copies: policy.copies },
    lastVerified:
      last === undefined ? null : { at: last.checkedAt, level: shownLevel(last.level), status: last.status },
    copies: copies.map((c) => ({
      destination: c.destination,
      status: c.status,
      size: c.size,
      sha256: c.sha256,
      location: c.location,
      error: c.error,
      lastDeepVerifiedAt: lastDeep(c.destination),
    })),
  };
}
