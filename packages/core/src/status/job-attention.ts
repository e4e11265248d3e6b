import type { BackupRow, CopyRow, VerificationRow } from '../catalog/catalog.js';
import { copyCounts } from '../copies/copy-state.js';

/** What a job's last run and its failed checks say, and what about a job needs someone's attention. */

/** `interrupted`: marked running, and no process holds the job's lock any more. */
export type RunOutcome = 'ok' | 'degraded' | 'failed' | 'interrupted' | 'running';

/** The job's newest backup, whatever became of it. */
export interface LastRun {
  readonly backupId: string;
  readonly status: RunOutcome;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  /** Why it failed or is degraded (which copies failed and why), as recorded; null when it did not. */
  readonly reason: string | null;
}

/** A check of a copy (or a restore test of a backup) that did not pass, and was not passed since. */
export interface FailedCheck {
  readonly backupId: string;
  /** The copy checked; null for a restore test that failed before it read a copy. */
  readonly destination: string | null;
  readonly level: 'exists' | 'deep' | 'restore-test';
  /** As `verify` records it: missing, size-mismatch, checksum-mismatch, error, mismatch, … */
  readonly status: string;
  readonly checkedAt: string;
  readonly reason: string | null;
}

const LEVEL_NAMES: Record<string, FailedCheck['level']> = {
  stat: 'exists',
  deep: 'deep',
  'restore-test': 'restore-test',
};

const INTERRUPTED_PREFIX = 'interrupted:';

export function lastRunOf(backup: BackupRow, alive: boolean | undefined): LastRun {
  return {
    backupId: backup.id,
    status: outcomeOf(backup, alive),
    startedAt: backup.startedAt,
    finishedAt: backup.finishedAt,
    reason: backup.status === 'ok' ? null : backup.error,
  };
}

function outcomeOf(backup: BackupRow, alive: boolean | undefined): RunOutcome {
  if (backup.status === 'running') return alive === false ? 'interrupted' : 'running';
  if (backup.status === 'failed' && backup.error?.startsWith(INTERRUPTED_PREFIX)) return 'interrupted';
  return backup.status;
}

export function failedCheckOf(v: VerificationRow): FailedCheck {
  return {
    backupId: v.backupId,
    destination: v.destination,
    level: LEVEL_NAMES[v.level] ?? 'exists',
    status: v.status,
    checkedAt: v.checkedAt,
    reason: checkReason(v),
  };
}

/** Why a check did not pass: its message, or what the size or checksum it found was. */
export function checkReason(v: VerificationRow): string | null {
  return v.detail ?? mismatchOf(v);
}

/** What a size or checksum check found, when it recorded no message of its own. */
function mismatchOf(v: VerificationRow): string | null {
  if (v.actualSha256 !== null && v.actualSha256 !== v.expectedSha256)
    return `sha256 ${v.actualSha256}, expected ${v.expectedSha256 ?? 'none recorded'}`;
  if (v.actualSize !== null && v.actualSize !== v.expectedSize)
    return `${v.actualSize} bytes, expected ${v.expectedSize ?? 'none recorded'}`;
  return null;
}

/**
 * The failed checks among one backup's verifications (oldest first): the newest check of each copy and level, the
 * newest restore test, when not ok, on copies still kept.
 */
export function failedChecksOf(
  checks: readonly VerificationRow[],
  copies: readonly CopyRow[],
): VerificationRow[] {
  const gone = new Set(copies.filter((c) => !copyCounts(c, 'present')).map((c) => c.destination));
  const newest = new Map<string, VerificationRow>();
  for (const v of checks) {
    if (v.level === 'backup' || v.level === 'drill') continue; // drills are reported on their own
    newest.set(v.level === 'restore-test' ? v.level : `${v.level} ${v.destination}`, v);
  }
  return [...newest.values()].filter(
    (v) => v.status !== 'ok' && (v.destination === null || !gone.has(v.destination)),
  );
}

/** Newest first; a fixed order whichever way the checks were read. */
export function byNewestCheck(a: FailedCheck, b: FailedCheck): number {
  const key = (c: FailedCheck) => [c.checkedAt, c.backupId, c.level, c.destination ?? ''].join('\u0000');
  const [ka, kb] = [key(a), key(b)];
  return ka === kb ? 0 : ka > kb ? -1 : 1;
}

/** A backup flagged as anomalous (a table lost rows, the dump shrank or grew) that nobody confirmed yet. */
export interface FlaggedBackup {
  readonly backupId: string;
  readonly reason: string;
}

export interface AttentionFacts {
  readonly lastRun: LastRun | null;
  readonly policyShortfall: string | null;
  readonly staleReason: string | null;
  readonly failedChecks: readonly FailedCheck[];
  readonly flagged: readonly FlaggedBackup[];
  /** Why WAL stopped arriving (a job that archives WAL); null when it arrives. */
  readonly walStale?: string | null;
}

/**
 * One short line per thing that needs attention: a last run that did not end ok, a stale job, 3-2-1, failed checks,
 * flagged backups.
 */
export function attentionOf(facts: AttentionFacts): string[] {
  const { lastRun } = facts;
  const lines: string[] = [];
  if (lastRun === null) lines.push('never backed up');
  else if (lastRun.status !== 'ok' && lastRun.status !== 'running') lines.push(`last run ${lastRun.status}`);
  if (facts.staleReason !== null) lines.push(`stale: ${facts.staleReason}`);
  if (facts.walStale != null) lines.push(`WAL stale: ${facts.walStale}`);
  if (facts.policyShortfall !== null) lines.push(`3-2-1 not met: ${facts.policyShortfall}`);
  const checks = facts.failedChecks.length;
  if (checks > 0) lines.push(`${checks} failed check${checks === 1 ? '' : 's'}`);
  for (const flag of facts.flagged)
    lines.push(
      `backup ${flag.backupId} flagged: ${flag.reason} (check it, then: tricopy confirm ${flag.backupId})`,
    );
  return lines;
}
