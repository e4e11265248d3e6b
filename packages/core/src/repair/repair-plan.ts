import type { BackupRow, CopyRow } from '../catalog/catalog.js';
import type { JobSpec } from '../config/load.js';
import { type CopyCheck, checkStoredCopy, type Expected } from '../copies/copy-check.js';
import { copyCounts } from '../copies/copy-state.js';
import { applyRetention, rulesFor } from '../copies/retention.js';
import { foreignKeyProblem } from '../manifest/layout.js';
import { rankByCost } from '../session/rank-by-cost.js';
import type { Session } from '../session/session.js';
import { describeError } from '../util/errors.js';

/** What repair does about one destination of a backup. */
export type CopyAction =
  /** The copy is there and matches: a source to copy from. */
  | 'good'
  /** Missing, failed or corrupt: written again. */
  | 'repair'
  /** Never written (the destination joined the job after the backup): written with --backfill. */
  | 'backfill'
  /** Left as it is, with the reason. */
  | 'skip';

export interface PlannedCopy {
  readonly destination: string;
  readonly action: CopyAction;
  readonly reason: string;
  /** The catalog's row, when there is one. */
  readonly row?: CopyRow;
}

export interface BackupPlan {
  readonly backup: BackupRow;
  readonly job: JobSpec;
  readonly key: string;
  readonly expected: Expected;
  readonly copies: readonly PlannedCopy[];
  /** Destinations holding a good copy, cheapest first (the one ranking of copies). */
  readonly sources: readonly string[];
}

/** Why a backup is not repaired at all, and what that means for the run; undefined when it can be. */
export function unrepairable(
  backup: BackupRow,
): { reason: string; result: 'ok' | 'degraded' | 'failed' } | undefined {
  if (backup.prunedAt !== null) return { reason: 'pruned from every destination', result: 'ok' };
  if (backup.status === 'running') return { reason: 'the backup is still running', result: 'degraded' };
  if (backup.size === null || backup.sha256 === null || backup.artifactKey === null)
    return { reason: `no complete artifact (status ${backup.status})`, result: 'failed' };
  if (backup.manifest === null) return { reason: 'the catalog holds no manifest for it', result: 'failed' };
  const foreign = foreignKeyProblem(backup, backup.artifactKey);
  if (foreign !== undefined) return { reason: foreign, result: 'failed' };
  return undefined;
}

/**
 * Looks at every destination of the backup's job, and every other configured destination the catalog has a copy
 * on: a copy the catalog records as failed (by the backup or the last verify) is repaired; one it records as good is
 * checked afresh (stat: present, size and stored sha256) and repaired if that fails. No copy row at all means the
 * destination joined the job later: backfilled with `backfill`, when the job's retention there would keep it.
 */
export async function planRepair(
  session: Session,
  backup: BackupRow,
  options: { backfill: boolean; dryRun: boolean; retained: (destination: string) => boolean },
): Promise<BackupPlan> {
  const job = session.job(backup.job);
  const expected = { size: backup.size ?? 0, sha256: backup.sha256 ?? '' };
  const key = backup.artifactKey ?? '';
  const rows = await session.catalog.listCopies(backup.id);
  const names = [
    ...new Set([
      ...job.destinations,
      ...rows.map((r) => r.destination).filter((d) => session.config.destinations.has(d)),
    ]),
  ];
  const copies = await Promise.all(
    names.map((name) => {
      const row = rows.find((r) => r.destination === name);
      const inJob = job.destinations.includes(name);
      return planCopy(session, backup, { name, row, inJob, key, expected, ...options });
    }),
  );
  const good = copies.filter((c) => c.action === 'good');
  const sources = (await rankByCost(session, good)).map((c) => c.destination);
  return { backup, job, key, expected, copies, sources };
}

interface CopyFacts {
  readonly name: string;
  readonly row: CopyRow | undefined;
  readonly inJob: boolean;
  readonly key: string;
  readonly expected: Expected;
  readonly backfill: boolean;
  readonly dryRun: boolean;
  readonly retained: (destination: string) => boolean;
}

async function planCopy(session: Session, backup: BackupRow, facts: CopyFacts): Promise<PlannedCopy> {
  const { name, row } = facts;
  const planned = (action: CopyAction, reason: string): PlannedCopy => ({
    destination: name,
    action,
    reason,
    ...(row === undefined ? {} : { row }),
  });
  if (row === undefined) {
    if (!facts.backfill)
      return planned('skip', 'never written here (the destination joined later): --backfill');
    if (!facts.retained(name)) return planned('skip', "outside the job's retention on this destination");
    return planned('backfill', 'never written here (the destination joined the job later)');
  }
  if (!copyCounts(row, 'present')) return planned('skip', 'pruned');
  const foreign = foreignKeyProblem(backup, row.key);
  if (foreign !== undefined) return planned('skip', foreign);
  if (row.status === 'failed') {
    if (!facts.inJob) return planned('skip', 'failed, and the destination is no longer in the job');
    return planned('repair', row.error ?? 'failed');
  }
  let check: CopyCheck;
  try {
    check = await checkStoredCopy(await session.destination(name), row.key, facts.expected);
  } catch (error) {
    return planned('skip', `cannot check it: ${session.redact(describeError(error))}`);
  }
  if (check.ok) return planned('good', 'present, size and checksum as recorded');
  if (!facts.dryRun) await recordFreshCheck(session, backup, row, check);
  if (!facts.inJob) return planned('skip', `${check.message}, and the destination is no longer in the job`);
  return planned('repair', check.message);
}

/** A copy a fresh check found bad is recorded as such, as verify does. */
async function recordFreshCheck(
  session: Session,
  backup: BackupRow,
  row: CopyRow,
  check: Extract<CopyCheck, { ok: false }>,
): Promise<void> {
  await session.catalog.recordVerification({
    backupId: backup.id,
    destination: row.destination,
    level: 'stat',
    status: check.kind,
    expectedSize: backup.size,
    expectedSha256: backup.sha256,
    actualSize: check.actualSize ?? null,
    actualSha256: check.actualSha256 ?? null,
    detail: `repair: ${check.message}`,
  });
  await session.catalog.setCopyStatus(backup.id, row.destination, 'failed', `repair check: ${check.message}`);
}

/**
 * Whether the job's retention on each destination would keep the backup, judged over the job's backups that
 * hold a copy (ok or degraded, not pruned): a destination without rules keeps everything.
 */
export async function retentionOf(
  session: Session,
  job: JobSpec,
): Promise<(backupId: string, destination: string) => boolean> {
  const backups = (await session.catalog.listBackups({ job: job.name, statuses: ['ok', 'degraded'] })).filter(
    (b) => b.prunedAt === null,
  );
  const snapshots = backups.map((b) => ({ id: b.id, time: new Date(b.startedAt), seq: b.seq }));
  const kept = new Map<string, Set<string>>();
  return (backupId, destination) => {
    let ids = kept.get(destination);
    if (ids === undefined) {
      const rules = rulesFor(job, destination);
      ids = new Set(
        rules === undefined
          ? snapshots.map((s) => s.id)
          : applyRetention(snapshots, rules, job.timezone, session.now()).keep.map((k) => k.snapshot.id),
      );
      kept.set(destination, ids);
    }
    return ids.has(backupId);
  };
}
