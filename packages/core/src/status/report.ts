import type { BackupRow, Catalog, CopyRow, VerificationRow } from '../catalog/catalog.js';
import type { LoadedConfig } from '../config/load.js';
import { backupPolicy, jobPolicy, type PolicyStatus } from '../copies/policy.js';
import { TRICOPY_VERSION } from '../version.js';
import { shownLevel } from './fleet-status.js';
import { type DrillAssertion, parseDrillDetail } from './report-drill.js';

/** The version of the report's JSON (docs/report.md); raised only when a field changes meaning or goes away. */
export const REPORT_VERSION = 1;

/** A verification of a copy (exists, deep) or a backup (restore-test), as the catalog recorded it. */
export interface ReportCheck {
  readonly backupId: string;
  /** exists, deep or restore-test (the catalog's `backup` and `stat` levels are both `exists`). */
  readonly level: string;
  /** The level as the catalog stores it. */
  readonly storedLevel: string;
  /** The copy checked (its destination); null when the check is of the backup (a restore test). */
  readonly copy: string | null;
  readonly checkedAt: string;
  readonly status: string;
  readonly passed: boolean;
  readonly expectedSize: number | null;
  readonly actualSize: number | null;
  readonly expectedSha256: string | null;
  readonly actualSha256: string | null;
  readonly detail: string | null;
}

/** A restore drill: a backup restored into a named target, with the assertions run on it. */
export interface ReportDrill {
  readonly backupId: string;
  /** The copy restored (its destination). */
  readonly copy: string | null;
  readonly checkedAt: string;
  readonly status: string;
  readonly passed: boolean;
  readonly target: string | null;
  readonly durationMs: number | null;
  readonly assertions: readonly DrillAssertion[];
  readonly error: string | null;
  /** The detail exactly as stored. */
  readonly detail: string | null;
}

export interface ReportCopy {
  readonly destination: string;
  readonly status: string;
  readonly size: number | null;
  readonly sha256: string | null;
  readonly location: string | null;
  readonly error: string | null;
}

export interface ReportBackup {
  readonly backupId: string;
  readonly status: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  readonly size: number | null;
  readonly sha256: string | null;
  readonly error: string | null;
  readonly flagged: string | null;
  readonly confirmedAt: string | null;
  readonly prunedAt: string | null;
  /** Its 3-2-1 status now (a pruned backup's copies are deleted: it counts none). */
  readonly policy: PolicyStatus;
  readonly copies: readonly ReportCopy[];
  /** The cross-check of each copy the backup made as it wrote it (in the period). */
  readonly checks: readonly ReportCheck[];
}

/** A job's 3-2-1 status over the period. */
export interface ReportJobPolicy {
  /** What the job's configured destinations can reach; null for a job no longer in the config. */
  readonly configured: PolicyStatus | null;
  /** Finished ok or degraded backups started in the period, and how many of them were pruned since. */
  readonly goodBackups: number;
  readonly pruned: number;
  /** Of the good backups not pruned, how many meet 3-2-1 now. */
  readonly kept: number;
  readonly keptMet: number;
  /** Every good backup of the period not pruned meets 3-2-1 (false when there is none). */
  readonly met: boolean;
}

export interface ReportJob {
  readonly job: string;
  readonly configured: boolean;
  readonly policy: ReportJobPolicy;
  readonly backups: readonly ReportBackup[];
  /** exists, deep and restore-test checks made in the period, of backups of any age, oldest first. */
  readonly verifications: readonly ReportCheck[];
  readonly drills: readonly ReportDrill[];
}

export interface Report {
  readonly version: number;
  /** The tricopy that made the report. */
  readonly tricopyVersion: string;
  readonly generatedAt: string;
  readonly since: string;
  readonly policy: { readonly copies: number; readonly media: number; readonly offsite: number };
  readonly jobs: readonly ReportJob[];
}

interface Sources {
  readonly catalog: Catalog;
  readonly config: LoadedConfig;
}

export interface ReportRequest {
  readonly since: Date;
  readonly now: Date;
  /** Only these jobs (default: every configured job and every job with records in the period). */
  readonly jobs?: readonly string[];
}

/** The evidence of a period: per job, every backup with its copies and checks, every verification and drill. */
export async function buildReport(sources: Sources, request: ReportRequest): Promise<Report> {
  const since = request.since.toISOString();
  const records = await sources.catalog.reportRecords({
    since,
    ...(request.jobs === undefined ? {} : { jobs: request.jobs }),
  });
  const names = request.jobs ?? [
    ...new Set([
      ...sources.config.jobs.keys(),
      ...records.backups.map((b) => b.job),
      ...records.verifications.map((v) => v.job),
    ]),
  ];
  const copies = groupBy(records.copies, (c) => c.backupId);
  const jobs = [...names].sort().map((job) =>
    reportJob(sources.config, job, {
      backups: records.backups.filter((b) => b.job === job),
      copies,
      verifications: records.verifications.filter((v) => v.job === job),
    }),
  );
  const { copies: copyCount, media, offsite } = sources.config.policy;
  return {
    version: REPORT_VERSION,
    tricopyVersion: TRICOPY_VERSION,
    generatedAt: request.now.toISOString(),
    since,
    policy: { copies: copyCount, media, offsite },
    jobs,
  };
}

interface JobRecords {
  readonly backups: readonly BackupRow[];
  readonly copies: ReadonlyMap<string, readonly CopyRow[]>;
  readonly verifications: readonly VerificationRow[];
}

function reportJob(config: LoadedConfig, job: string, records: JobRecords): ReportJob {
  const crossChecks = groupBy(
    records.verifications.filter((v) => v.level === 'backup'),
    (v) => v.backupId,
  );
  const backups = records.backups.map((b) =>
    reportBackup(b, records.copies.get(b.id) ?? [], crossChecks.get(b.id) ?? [], config),
  );
  const configured = config.jobs.has(job);
  return {
    job,
    configured,
    policy: periodPolicy(configured ? jobPolicy(config, job) : null, backups),
    backups,
    verifications: records.verifications
      .filter((v) => v.level !== 'backup' && v.level !== 'drill')
      .map(reportCheck),
    drills: records.verifications.filter((v) => v.level === 'drill').map(reportDrill),
  };
}

function reportBackup(
  backup: BackupRow,
  copies: readonly CopyRow[],
  checks: readonly VerificationRow[],
  config: LoadedConfig,
): ReportBackup {
  return {
    backupId: backup.id,
    status: backup.status,
    startedAt: backup.startedAt,
    finishedAt: backup.finishedAt,
    durationMs: backup.finishedAt === null ? null : durationBetween(backup.startedAt, backup.finishedAt),
    size: backup.size,
    sha256: backup.sha256,
    error: backup.error,
    flagged: backup.flagged,
    confirmedAt: backup.confirmedAt,
    prunedAt: backup.prunedAt,
    policy: backupPolicy(copies, config),
    copies: copies.map(({ destination, status, size, sha256, location, error }) => ({
      destination,
      status,
      size,
      sha256,
      location,
      error,
    })),
    checks: checks.map(reportCheck),
  };
}

function periodPolicy(configured: PolicyStatus | null, backups: readonly ReportBackup[]): ReportJobPolicy {
  const good = backups.filter((b) => (b.status === 'ok' || b.status === 'degraded') && b.finishedAt !== null);
  const kept = good.filter((b) => b.prunedAt === null);
  const keptMet = kept.filter((b) => b.policy.met).length;
  return {
    configured,
    goodBackups: good.length,
    pruned: good.length - kept.length,
    kept: kept.length,
    keptMet,
    met: kept.length > 0 && keptMet === kept.length,
  };
}

function reportCheck(v: VerificationRow): ReportCheck {
  return {
    backupId: v.backupId,
    level: shownLevel(v.level),
    storedLevel: v.level,
    copy: v.destination,
    checkedAt: v.checkedAt,
    status: v.status,
    passed: v.status === 'ok',
    expectedSize: v.expectedSize,
    actualSize: v.actualSize,
    expectedSha256: v.expectedSha256,
    actualSha256: v.actualSha256,
    detail: v.detail,
  };
}

function reportDrill(v: VerificationRow): ReportDrill {
  const { target, durationMs, assertions, error } = parseDrillDetail(v.detail);
  return {
    backupId: v.backupId,
    copy: v.destination,
    checkedAt: v.checkedAt,
    status: v.status,
    passed: v.status === 'ok',
    target,
    durationMs,
    assertions,
    error,
    detail: v.detail,
  };
}

/** null when either time is not one (a catalog row is data: it may hold anything). */
function durationBetween(start: string, end: string): number | null {
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) ? Math.max(0, ms) : null;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item)) ?? [];
    list.push(item);
    groups.set(key(item), list);
  }
  return groups;
}
