import type { BackupRow, BackupStatus, Catalog, CopyRow } from '../catalog/catalog.js';
import type { StatusRecords } from '../catalog/status-records.js';
import type { LoadedConfig } from '../config/load.js';
import { baseBackupsOf } from '../copies/base-backup.js';
import { countedCopies } from '../copies/copy-state.js';
import { backupPolicy } from '../copies/policy.js';
import { backupIsAlive } from '../locks/job-lock.js';
import {
  attentionOf,
  byNewestCheck,
  type FailedCheck,
  type FlaggedBackup,
  failedCheckOf,
  failedChecksOf,
  type LastRun,
  lastRunOf,
} from './job-attention.js';
import { type WalStatus, walStatus } from './wal-status.js';

/**
 * Verification levels as every output names them. The catalog stores `stat` for `verify`'s "exists with the right
 * size (and stored SHA-256)" and `backup` for a backup's cross-check of each copy it wrote, the same check: both are
 * `exists`.
 */
export const VERIFIED_LEVELS = ['exists', 'deep', 'restore-test'] as const;
export type VerifiedLevel = (typeof VERIFIED_LEVELS)[number];
const STORED_LEVEL: Record<string, VerifiedLevel> = {
  backup: 'exists',
  stat: 'exists',
  deep: 'deep',
  'restore-test': 'restore-test',
};

/** A stored verification level (or `verify`'s level) as outputs name it. */
export function shownLevel(stored: string): string {
  return STORED_LEVEL[stored] ?? stored;
}

export const RUN_STATUSES: readonly BackupStatus[] = ['ok', 'degraded', 'failed', 'running'];

/** The newest good (ok or degraded) backup of a job that still has copies. */
export interface LastBackup {
  readonly backupId: string;
  readonly status: BackupStatus;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly size: number | null;
  readonly durationSeconds: number;
  readonly copies: number;
  readonly copiesVerified: number;
  readonly policyMet: boolean;
  readonly policy: string;
}

export interface Staleness {
  /** The job's maxAge, undefined when neither the job nor the policy sets one (then it is never stale). */
  readonly maxAgeMs: number | null;
  /** When the newest backup with a verified copy finished; null when there is none. */
  readonly newestVerifiedAt: string | null;
  readonly stale: boolean;
  /** How far past maxAge (ms); null when not stale or when there is no verified backup at all. */
  readonly overdueMs: number | null;
}

export interface JobStatus {
  readonly job: string;
  readonly lastSuccessAt: string | null;
  readonly lastBackup: LastBackup | null;
  /** The newest passed verification of each level, over the job's unpruned backups. */
  readonly lastVerified: Readonly<Record<VerifiedLevel, string | null>>;
  /** Backups recorded per status (a backup is one run of the job). */
  readonly runs: Readonly<Record<BackupStatus, number>>;
  readonly staleness: Staleness;
  /** The job's newest backup whatever its outcome, with why it failed or is degraded; null: never run. */
  readonly lastRun: LastRun | null;
  /** Checks of its unpruned backups' copies (and restore tests) that did not pass and were not passed since. */
  readonly failedChecks: readonly FailedCheck[];
  /** Its unpruned backups flagged as anomalous and not confirmed (they block its pruning), newest first. */
  readonly flagged: readonly FlaggedBackup[];
  /** Point-in-time recovery: the window and WAL's arrival (PostgreSQL base backups with WAL); null for others. */
  readonly wal: WalStatus | null;
  /** What needs someone's attention, one short line each; empty when all is well. */
  readonly attention: readonly string[];
}

interface Sources {
  readonly catalog: Catalog;
  readonly config: LoadedConfig;
}

/**
 * The status of every configured job, computed from the catalog: what metrics and `serve` show. A fixed number of
 * queries whatever the size of the fleet (jobStatus, for one job, reads that job's backups one by one).
 */
export async function fleetStatus(sources: Sources, now: Date): Promise<JobStatus[]> {
  const records = await sources.catalog.statusRecords([...sources.config.destinations.keys()]);
  const byJob = indexStatusRecords(records);
  const jobs = [...sources.config.jobs.keys()];
  return Promise.all(
    jobs.map(async (job) => {
      const newestGood = byJob.newestLiveGood.get(job);
      const copies = newestGood === undefined ? [] : (byJob.copies.get(newestGood.id) ?? []);
      const newestRun = byJob.newestRun.get(job);
      return withAttention(
        {
          job,
          wal: archivesWal(sources, job, newestGood) ? await walStatus(sources, job, now) : null,
          lastSuccessAt: byJob.newestGood.get(job)?.finishedAt ?? null,
          lastBackup: newestGood === undefined ? null : lastBackupOf(sources, newestGood, copies),
          lastVerified: lastVerifiedOf(records.lastPassed.filter((v) => v.job === job)),
          runs: runsOf(records.runs.filter((r) => r.job === job)),
          staleness: staleness(
            sources.config.jobs.get(job)?.maxAgeMs,
            byJob.newestVerified.get(job) ?? null,
            now,
          ),
          lastRun: newestRun === undefined ? null : await lastRunWithLock(sources, newestRun, now),
          failedChecks: records.failedChecks
            .filter((v) => v.job === job)
            .map(failedCheckOf)
            .sort(byNewestCheck),
          flagged: records.flagged
            .filter((f) => f.job === job)
            .map((f) => ({ backupId: f.backupId, reason: f.reason })),
        },
        now,
      );
    }),
  );
}

/** A backup still marked running is asked about: is its job's lock still held? (Only the newest run is asked.) */
async function lastRunWithLock(sources: Sources, backup: BackupRow, now: Date): Promise<LastRun> {
  const alive =
    backup.status === 'running'
      ? await backupIsAlive({ ...sources, now: () => now }, backup.job, backup.startedAt)
      : undefined;
  return lastRunOf(backup, alive);
}

function withAttention(status: Omit<JobStatus, 'attention'>, now: Date): JobStatus {
  const { lastBackup, staleness } = status;
  const attention = attentionOf({
    lastRun: status.lastRun,
    policyShortfall: lastBackup === null || lastBackup.policyMet ? null : lastBackup.policy,
    staleReason: staleness.stale ? staleReason(staleness) : null,
    failedChecks: status.failedChecks,
    flagged: status.flagged,
    walStale: status.wal?.stale === true ? walStaleReason(status.wal, now) : null,
  });
  return { ...status, attention };
}

/** Whether the job may have point-in-time status: its source archives WAL, or its newest backup is a base backup. */
function archivesWal(sources: Sources, job: string, newestGood: BackupRow | undefined): boolean {
  const options = sources.config.jobs.get(job)?.source.options as { wal?: unknown } | undefined;
  const wal = options?.wal;
  return (
    (wal !== undefined && wal !== false) ||
    baseBackupsOf(newestGood === undefined ? [] : [newestGood]).length > 0
  );
}

function indexStatusRecords(records: StatusRecords) {
  const copies = new Map<string, CopyRow[]>();
  for (const copy of records.newestLiveGoodCopies) {
    const list = copies.get(copy.backupId) ?? [];
    list.push(copy);
    copies.set(copy.backupId, list);
  }
  return {
    newestRun: new Map(records.newestRun.map((b) => [b.job, b])),
    newestGood: new Map(records.newestGood.map((b) => [b.job, b])),
    newestLiveGood: new Map(records.newestLiveGood.map((b) => [b.job, b])),
    newestVerified: new Map(records.newestVerified.map((v) => [v.job, v.finishedAt])),
    copies,
  };
}

function lastVerifiedOf(passed: StatusRecords['lastPassed']): Record<VerifiedLevel, string | null> {
  const last: Record<VerifiedLevel, string | null> = { exists: null, deep: null, 'restore-test': null };
  for (const v of passed) {
    const level = STORED_LEVEL[v.level];
    if (level === undefined) continue;
    const seen = last[level];
    if (seen === null || v.checkedAt > seen) last[level] = v.checkedAt;
  }
  return last;
}

function runsOf(counts: StatusRecords['runs']): Record<BackupStatus, number> {
  const runs: Record<BackupStatus, number> = { ok: 0, degraded: 0, failed: 0, running: 0 };
  for (const c of counts) runs[c.status] = c.count;
  return runs;
}

export async function jobStatus(sources: Sources, job: string, now: Date): Promise<JobStatus> {
  const backups = await sources.catalog.listBackups({ job });
  const live = backups.filter((b) => b.prunedAt === null);
  const good = (b: BackupRow) => (b.status === 'ok' || b.status === 'degraded') && b.finishedAt !== null;
  const newestGood = live.find(good);
  const verifiedBackup = await findAsync(
    live,
    async (b) => good(b) && (await countedCopyCount(sources, b)) > 0,
  );
  const newestRun = backups[0];
  return withAttention(
    {
      job,
      wal: await walStatus(sources, job, now),
      lastSuccessAt: backups.find(good)?.finishedAt ?? null,
      lastBackup: newestGood === undefined ? null : await describeLast(sources, newestGood),
      lastVerified: await lastVerified(sources.catalog, live),
      runs: countRuns(backups),
      staleness: staleness(sources.config.jobs.get(job)?.maxAgeMs, verifiedBackup?.finishedAt ?? null, now),
      lastRun: newestRun === undefined ? null : await lastRunWithLock(sources, newestRun, now),
      failedChecks: await failedChecks(sources.catalog, live),
      flagged: live
        .filter((b) => b.flagged !== null && b.confirmedAt === null)
        .map((b) => ({ backupId: b.id, reason: b.flagged as string })),
    },
    now,
  );
}

async function failedChecks(catalog: Catalog, backups: readonly BackupRow[]): Promise<FailedCheck[]> {
  const found: FailedCheck[] = [];
  for (const backup of backups) {
    const checks = await catalog.listVerifications(backup.id);
    const copies = await catalog.listCopies(backup.id);
    found.push(...failedChecksOf(checks, copies).map(failedCheckOf));
  }
  return found.sort(byNewestCheck);
}

async function findAsync<T>(
  items: readonly T[],
  test: (item: T) => Promise<boolean>,
): Promise<T | undefined> {
  for (const item of items) if (await test(item)) return item;
  return undefined;
}

/** How many of the backup's copies count toward its 3-2-1 status. */
async function countedCopyCount(sources: Sources, backup: BackupRow): Promise<number> {
  return backupPolicy(await sources.catalog.listCopies(backup.id), sources.config).copies;
}

async function describeLast(sources: Sources, backup: BackupRow): Promise<LastBackup> {
  return lastBackupOf(sources, backup, await sources.catalog.listCopies(backup.id));
}

function lastBackupOf(sources: Sources, backup: BackupRow, copies: readonly CopyRow[]): LastBackup {
  const finishedAt = backup.finishedAt as string;
  const policy = backupPolicy(copies, sources.config);
  return {
    backupId: backup.id,
    status: backup.status,
    startedAt: backup.startedAt,
    finishedAt,
    size: backup.size,
    durationSeconds: Math.max(0, (Date.parse(finishedAt) - Date.parse(backup.startedAt)) / 1000),
    copies: countedCopies(copies, 'present').length,
    copiesVerified: policy.copies,
    policyMet: policy.met,
    policy: policy.met ? policy.summary : policy.shortfall,
  };
}

async function lastVerified(
  catalog: Catalog,
  backups: readonly BackupRow[],
): Promise<Record<VerifiedLevel, string | null>> {
  const last: Record<VerifiedLevel, string | null> = { exists: null, deep: null, 'restore-test': null };
  for (const backup of backups) {
    for (const v of await catalog.listVerifications(backup.id)) {
      const level = STORED_LEVEL[v.level];
      if (level === undefined || v.status !== 'ok') continue;
      const seen = last[level];
      if (seen === null || v.checkedAt > seen) last[level] = v.checkedAt;
    }
  }
  return last;
}

function countRuns(backups: readonly BackupRow[]): Record<BackupStatus, number> {
  const runs: Record<BackupStatus, number> = { ok: 0, degraded: 0, failed: 0, running: 0 };
  for (const b of backups) runs[b.status]++;
  return runs;
}

function staleness(maxAgeMs: number | undefined, newestVerifiedAt: string | null, now: Date): Staleness {
  if (maxAgeMs === undefined) return { maxAgeMs: null, newestVerifiedAt, stale: false, overdueMs: null };
  if (newestVerifiedAt === null) return { maxAgeMs, newestVerifiedAt, stale: true, overdueMs: null };
  const overdue = now.getTime() - Date.parse(newestVerifiedAt) - maxAgeMs;
  return { maxAgeMs, newestVerifiedAt, stale: overdue > 0, overdueMs: overdue > 0 ? overdue : null };
}

/** Why a job's WAL is stale, for people: `newest WAL stored 2h 10m ago (expected within 1h)`. */
export function walStaleReason(wal: WalStatus, now: Date): string {
  const within = `expected within ${formatAge(wal.staleAfterMs ?? 0)}`;
  if (wal.lastStoredAt === null) return `no WAL stored yet (${within} of the first base backup)`;
  return `newest WAL stored ${formatAge(now.getTime() - Date.parse(wal.lastStoredAt))} ago (${within})`;
}

/** Why a job is stale, for people: `no backup with a verified copy`, `newest verified backup 2h 10m past maxAge 26h`. */
export function staleReason(s: Staleness): string {
  if (s.overdueMs === null) return 'no backup with a verified copy';
  return `newest verified backup ${formatAge(s.overdueMs)} past maxAge ${formatAge(s.maxAgeMs ?? 0)}`;
}

/** `3d 4h`, `2h 10m`, `5m`, `40s`: the largest unit and the next one when it is not 0. */
export function formatAge(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000));
  const amounts = (
    [
      ['d', 86_400],
      ['h', 3600],
      ['m', 60],
      ['s', 1],
    ] as const
  ).map(([unit, size]) => {
    const n = Math.floor(rest / size);
    rest -= n * size;
    return { unit, n };
  });
  const first = amounts.findIndex((a) => a.n > 0);
  if (first === -1) return '0s';
  return amounts
    .slice(first, first + 2)
    .filter((a) => a.n > 0)
    .map((a) => `${a.n}${a.unit}`)
    .join(' ');
}
