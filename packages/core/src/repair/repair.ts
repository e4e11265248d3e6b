import type { BackupRow, Catalog } from '../catalog/catalog.js';
import { refreshBackupStatus } from '../copies/backup-status.js';
import { backupPolicy, type PolicyStatus } from '../copies/policy.js';
import { type CopyWriteContext, copyWriteContext } from '../copy-write/copy-write-context.js';
import { refreshManifest, writeManifest } from '../copy-write/manifest-write.js';
import { rewriteCopy, type StoredCopy } from '../copy-write/rewrite-copy.js';
import { withJobLock } from '../locks/job-lock.js';
import type { Manifest } from '../manifest/manifest.js';
import type { Session } from '../session/session.js';
import { type BackupPlan, type PlannedCopy, planRepair, retentionOf, unrepairable } from './repair-plan.js';

export interface RepairOptions {
  /** Also write backups made before a destination joined the job (within its retention there). */
  readonly backfill?: boolean;
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
}

export type CopyRepairStatus =
  | 'good'
  | 'repaired'
  | 'backfilled'
  | 'would-repair'
  | 'would-backfill'
  | 'failed'
  | 'skipped';

export interface CopyRepair {
  readonly destination: string;
  readonly status: CopyRepairStatus;
  /** Why it needed (or did not get) the work. */
  readonly reason: string;
  readonly error?: string;
}

export interface BackupRepair {
  readonly backupId: string;
  readonly job: string;
  /** ok: nothing left to repair; degraded: a copy could not be repaired; failed: no good copy to repair from. */
  readonly result: 'ok' | 'degraded' | 'failed';
  /** Why the backup was not looked at (job lock held, still running, pruned). */
  readonly skipped?: string;
  readonly copies: readonly CopyRepair[];
  /** The 3-2-1 status of its verified copies after the repair. */
  readonly policy?: PolicyStatus;
}

/** A copy written again and cross-checked, not yet given its manifest. */
interface WrittenCopy extends StoredCopy {
  readonly destination: string;
  readonly attempts: number;
}

export interface RepairReport {
  readonly dryRun: boolean;
  readonly backups: readonly BackupRepair[];
  readonly result: 'ok' | 'degraded' | 'failed';
}

/**
 * Writes every missing, failed or corrupt copy of the backups again from a good copy (never from the database), the
 * bytes re-hashed on the way (a source copy that does not match is never propagated: it is marked failed, repaired
 * in turn, and the next good copy is used), each new copy cross-checked, given its manifest and recorded. Each job's
 * backups are repaired under its lock, newest first.
 */
export async function repairBackups(
  session: Session,
  backups: readonly BackupRow[],
  options: RepairOptions = {},
): Promise<RepairReport> {
  const results: BackupRepair[] = [];
  for (const [jobName, ofJob] of byJob(backups)) {
    if (!session.config.jobs.has(jobName)) {
      const why = `job ${jobName} is not in the config: repair writes to a job's destinations`;
      results.push(...ofJob.map((b) => skippedBackup(b, why)));
      continue;
    }
    const job = session.job(jobName);
    const locked = await withJobLock(session, jobName, 'repair', options.dryRun === true, async () => {
      const retained = await retentionOf(session, job);
      for (const backup of ofJob) {
        options.signal?.throwIfAborted();
        const fresh = (await session.catalog.getBackup(backup.id)) ?? backup;
        results.push(await repairBackup(session, fresh, (d) => retained(fresh.id, d), options));
      }
    });
    if (!locked.ran) results.push(...ofJob.map((b) => skippedBackup(b, locked.message)));
  }
  return { dryRun: options.dryRun === true, backups: results, result: worst(results.map((r) => r.result)) };
}

async function repairBackup(
  session: Session,
  backup: BackupRow,
  retained: (destination: string) => boolean,
  options: RepairOptions,
): Promise<BackupRepair> {
  const why = unrepairable(backup);
  if (why !== undefined) return { ...skippedBackup(backup, why.reason), result: why.result };
  const plan = await planRepair(session, backup, {
    backfill: options.backfill === true,
    dryRun: options.dryRun === true,
    retained,
  });
  const work = plan.copies.filter((c) => c.action === 'repair' || c.action === 'backfill');
  const copies =
    work.length === 0
      ? plan.copies.map(asIs)
      : options.dryRun
        ? plan.copies.map((c) => wouldDo(c, plan.sources.length > 0))
        : await writeCopies(session, plan, work, options.signal);
  const failed = copies.some((c) => c.status === 'failed');
  const anyGood = copies.some((c) => ['good', 'repaired', 'backfilled'].includes(c.status));
  return {
    backupId: backup.id,
    job: backup.job,
    result: !anyGood ? 'failed' : failed ? 'degraded' : 'ok',
    copies,
    policy: await policyOf(session, backup.id),
  };
}

function asIs(copy: PlannedCopy): CopyRepair {
  const status = copy.action === 'good' ? 'good' : 'skipped';
  return { destination: copy.destination, status, reason: copy.reason };
}

function wouldDo(copy: PlannedCopy, haveSource: boolean): CopyRepair {
  if (copy.action !== 'repair' && copy.action !== 'backfill') return asIs(copy);
  if (!haveSource) return { ...asIs(copy), status: 'failed', error: 'no good copy left to copy from' };
  return { ...asIs(copy), status: copy.action === 'repair' ? 'would-repair' : 'would-backfill' };
}

/** The writes: one copy at a time, from the cheapest good copy; then manifests and the catalog. */
async function writeCopies(
  session: Session,
  plan: BackupPlan,
  work: readonly PlannedCopy[],
  signal: AbortSignal | undefined,
): Promise<CopyRepair[]> {
  const writer = copyWriteContext(session, {
    job: plan.job.name,
    backupId: plan.backup.id,
    key: plan.key,
    expected: plan.expected,
    signal,
  });
  const outcome = new Map<string, CopyRepair>(plan.copies.map((c) => [c.destination, asIs(c)]));
  const sources = [...plan.sources];
  const queue = [...work];
  const written: { copy: WrittenCopy; planned: PlannedCopy }[] = [];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    const planned = item;
    if (sources.length === 0) {
      outcome.set(planned.destination, failure(planned, 'no good copy left to copy from'));
      continue;
    }
    const result = await rewriteCopy(writer, {
      destination: planned.destination,
      candidates: sources,
      previousError: planned.reason,
    });
    for (const bad of result.badSources) {
      sources.splice(sources.indexOf(bad), 1);
      const condemned = await condemnSource(session, plan, bad, outcome);
      if (plan.job.destinations.includes(bad)) queue.push(condemned);
    }
    if (result.verified !== undefined) {
      const attempts = (planned.row?.attempts ?? 0) + result.attempts;
      written.push({
        copy: { destination: planned.destination, attempts, ...result.verified },
        planned,
      });
    } else if (result.badSources.length > 0 && sources.length > 0) {
      queue.unshift(planned); // its attempts went to bad copies: try the good ones left
    } else {
      outcome.set(planned.destination, failure(planned, result.error ?? 'failed'));
    }
  }
  const kept = await recordWritten(session, writer, plan, written, sources);
  for (const { copy, planned } of written) {
    const ok = kept.some((k) => k.destination === copy.destination);
    outcome.set(
      copy.destination,
      ok
        ? { ...asIs(planned), status: planned.action === 'backfill' ? 'backfilled' : 'repaired' }
        : failure(planned, 'its manifest could not be written; the copy was removed'),
    );
  }
  await recordFailures(session, plan, [...outcome.values()]);
  await refreshBackupStatus(session, plan.backup.id);
  return [...outcome.values()];
}

/** A good copy that turned out not to match when read in full: marked failed, and repaired in turn. */
async function condemnSource(
  session: Session,
  plan: BackupPlan,
  destination: string,
  outcome: Map<string, CopyRepair>,
): Promise<PlannedCopy> {
  const reason = 'read in full, it does not match the backup';
  await session.catalog.setCopyStatus(plan.backup.id, destination, 'failed', `repair: ${reason}`);
  session.logger.error(`backup ${plan.backup.id}: the copy on ${destination} ${reason}`);
  const planned = plan.copies.find((c) => c.destination === destination) as PlannedCopy;
  const condemned: PlannedCopy = { ...planned, action: 'repair', reason };
  outcome.set(destination, failure(condemned, 'not repaired'));
  return condemned;
}

/**
 * The manifest, now listing every verified copy, beside each new copy (a copy whose manifest cannot be written is
 * removed) and refreshed beside the good ones; then the catalog, in one transaction. Returns the copies kept.
 */
async function recordWritten(
  session: Session,
  writer: CopyWriteContext,
  plan: BackupPlan,
  written: readonly { copy: WrittenCopy }[],
  sources: readonly string[],
): Promise<WrittenCopy[]> {
  if (written.length === 0) return [];
  const { backup } = plan;
  const manifest = withCopies(backup.manifest as Manifest, [
    ...sources,
    ...written.map((w) => w.copy.destination),
  ]);
  const failed = await Promise.all(
    written.map(({ copy }) => writeManifest(writer, copy.destination, manifest)),
  );
  const kept = written.map((w) => w.copy).filter((_, index) => failed[index] === undefined);
  await Promise.all(sources.map((name) => refreshManifest(writer, name, manifest)));
  await session.catalog.transaction(async (tx) => {
    for (const copy of kept) {
      await tx.upsertCopy({
        backupId: backup.id,
        destination: copy.destination,
        status: 'verified',
        key: plan.key,
        location: copy.location,
        size: copy.size,
        sha256: copy.sha256,
        attempts: copy.attempts,
        error: null,
      });
    }
    if (kept.length > 0) await keepManifest(tx, backup, manifest);
  });
  return kept;
}

function withCopies(manifest: Manifest, destinations: readonly string[]): Manifest {
  const key = manifest.artifact.key;
  const names = [...new Set(destinations)].sort();
  return { ...manifest, copies: names.map((destination) => ({ destination, key })) };
}

/** The catalog's copy of the manifest, everything else about the backup unchanged. */
function keepManifest(catalog: Catalog, backup: BackupRow, manifest: Manifest): Promise<void> {
  return catalog.finishBackup(backup.id, {
    status: backup.status === 'running' ? 'failed' : backup.status,
    finishedAt: backup.finishedAt ?? manifest.finishedAt,
    ...(backup.format === null ? {} : { format: backup.format }),
    ...(backup.compression === null ? {} : { compression: backup.compression }),
    ...(backup.artifactKey === null ? {} : { artifactKey: backup.artifactKey }),
    ...(backup.size === null ? {} : { size: backup.size }),
    ...(backup.sha256 === null ? {} : { sha256: backup.sha256 }),
    manifest,
    ...(backup.error === null ? {} : { error: backup.error }),
    ...(backup.flagged === null ? {} : { flagged: backup.flagged }),
  });
}

/** A copy that could not be repaired keeps its row (failed, with why); a failed backfill leaves no row. */
async function recordFailures(
  session: Session,
  plan: BackupPlan,
  copies: readonly CopyRepair[],
): Promise<void> {
  for (const copy of copies) {
    if (copy.status !== 'failed') continue;
    const row = plan.copies.find((c) => c.destination === copy.destination)?.row;
    if (row === undefined) continue;
    await session.catalog.setCopyStatus(plan.backup.id, copy.destination, 'failed', `repair: ${copy.error}`);
  }
}

function failure(planned: PlannedCopy, error: string): CopyRepair {
  return { ...asIs(planned), status: 'failed', error };
}

async function policyOf(session: Session, backupId: string): Promise<PolicyStatus> {
  return backupPolicy(await session.catalog.listCopies(backupId), session.config);
}

function skippedBackup(backup: BackupRow, why: string): BackupRepair {
  return { backupId: backup.id, job: backup.job, result: 'degraded', skipped: why, copies: [] };
}

function byJob(backups: readonly BackupRow[]): Map<string, BackupRow[]> {
  const jobs = new Map<string, BackupRow[]>();
  for (const backup of backups) jobs.set(backup.job, [...(jobs.get(backup.job) ?? []), backup]);
  return jobs;
}

function worst(results: readonly ('ok' | 'degraded' | 'failed')[]): 'ok' | 'degraded' | 'failed' {
  if (results.includes('failed')) return 'failed';
  return results.includes('degraded') ? 'degraded' : 'ok';
}
