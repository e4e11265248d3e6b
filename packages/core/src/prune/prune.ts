import type { Destination, ObjectInfo } from '@tricopy/contract';
import type { BackupRow, CopyRow } from '../catalog/catalog.js';
import type { Retention } from '../config/schema.js';
import { judgeCopy } from '../copies/copy-check.js';
import { copyCounts } from '../copies/copy-state.js';
import {
  applyRetention,
  hasKeepRules,
  type KeepReason,
  type RetentionOf,
  rulesFor,
} from '../copies/retention.js';
import { takeJobLock } from '../locks/job-lock.js';
import { foreignKeyProblem } from '../manifest/layout.js';
import { manifestKey } from '../manifest/manifest.js';
import type { Session } from '../session/session.js';
import { describeError, UsageError } from '../util/errors.js';
import { pruneWal, type WalPrune } from './prune-wal.js';
import { unconfirmedFlags } from './shrink.js';

export interface PruneOptions {
  /** Jobs to prune (default: every job with retention rules). */
  readonly jobs?: readonly string[];
  readonly dryRun?: boolean;
  /** Only destinations whose retention says `auto: true` (the prune after a backup). */
  readonly onlyAuto?: boolean;
  /** The caller already holds the job's lock (runBackups). */
  readonly lockHeld?: boolean;
  /**
   * Prune backups of these jobs that are no longer in the config (and of configured jobs only those in `jobs`). They have no retention
   * rules left: every backup but the newest is removed from each destination still in the config (keepLast 1,
   * under the same safety rules).
   */
  readonly removedJobs?: readonly string[];
}

export interface PrunedCopy {
  readonly backupId: string;
  readonly startedAt: string;
  readonly key: string;
  readonly size: number | null;
  /** `would-delete` in a dry run. */
  readonly status: 'deleted' | 'would-delete' | 'left-alone' | 'error';
  readonly error?: string;
}

export interface DestinationPrune {
  readonly destination: string;
  /** Why nothing was pruned here, when nothing was. */
  readonly skipped?: string;
  readonly kept: readonly {
    readonly backupId: string;
    readonly startedAt: string;
    readonly reasons: readonly KeepReason[];
  }[];
  readonly removed: readonly PrunedCopy[];
  /** Objects under the job's prefix that no catalog copy accounts for: never deleted, only reported. */
  readonly foreign: readonly string[];
}

export interface JobPrune {
  readonly job: string;
  /** Set when the whole job was not pruned (flagged backup, lock held, no retention). */
  readonly skipped?: string;
  readonly destinations: readonly DestinationPrune[];
  /** The job's archived WAL no retained base backup needs (jobs with base backups). */
  readonly wal?: WalPrune;
}

export interface PruneReport {
  readonly dryRun: boolean;
  readonly jobs: readonly JobPrune[];
  /** False when a deletion failed or a copy had to be left alone. */
  readonly ok: boolean;
}

/**
 * Applies each job's retention rules on each of its destinations. Safety rules: a destination whose newest backup
 * has no verified copy there is not pruned; the newest verified copy is never removed; only objects the catalog
 * records are removed (others are reported as foreign); a flagged, unconfirmed backup blocks its whole job.
 * A copy is marked `deleting` before anything is removed and `deleted` after, so an interrupted prune never leaves
 * the catalog believing in a copy that is gone; the next prune finishes it.
 */
export async function pruneBackups(session: Session, options: PruneOptions = {}): Promise<PruneReport> {
  const names =
    options.jobs !== undefined && options.jobs.length > 0
      ? [...options.jobs]
      : [...session.config.jobs.values()]
          .filter((j) => rulesFor(j, undefined) !== undefined)
          .map((j) => j.name);
  const configured = options.removedJobs === undefined ? names : (options.jobs ?? []);
  const specs: PruneJob[] = configured.map((name) => session.job(name));
  for (const name of options.removedJobs ?? []) specs.push(await removedJobSpec(session, name));
  const jobs: JobPrune[] = [];
  for (const job of specs) jobs.push(await pruneJob(session, job, options));
  const ok = jobs.every(
    (j) =>
      j.destinations.every((d) =>
        d.removed.every((r) => r.status === 'deleted' || r.status === 'would-delete'),
      ) && (j.wal?.errors.length ?? 0) === 0,
  );
  return { dryRun: options.dryRun === true, jobs, ok };
}

/** What prune needs of a job: its name, destinations, retention rules and time zone. */
type PruneJob = RetentionOf & {
  readonly name: string;
  readonly destinations: readonly string[];
  timezone?: string;
};

/** Jobs that have backups in the catalog but are no longer in the config. */
export async function removedJobs(session: Session): Promise<string[]> {
  const names = new Set((await session.catalog.listBackups()).map((b) => b.job));
  return [...names].filter((name) => !session.config.jobs.has(name)).sort();
}

async function removedJobSpec(session: Session, name: string): Promise<PruneJob> {
  if (session.config.jobs.has(name))
    throw new UsageError(`job "${name}" is in the config: prune it by its rules`);
  const backups = await session.catalog.listBackups({ job: name });
  if (backups.length === 0)
    throw new UsageError(`no backups of job "${name}" in the catalog (see tricopy list)`);
  const destinations = new Set<string>();
  for (const b of backups)
    for (const c of await session.catalog.listCopies(b.id)) destinations.add(c.destination);
  return {
    name,
    destinations: [...destinations].filter((d) => session.config.destinations.has(d)).sort(),
    retention: { keepLast: 1, auto: false, shrinkThreshold: 0.5 },
  };
}

async function pruneJob(session: Session, job: PruneJob, options: PruneOptions): Promise<JobPrune> {
  const name = job.name;
  if (rulesFor(job, undefined) === undefined) {
    return { job: name, skipped: 'no retention rules configured', destinations: [] };
  }
  const flags = await unconfirmedFlags(session, name);
  if (flags.length > 0) {
    const first = flags[0] as { id: string; reason: string };
    return {
      job: name,
      skipped: `backup ${first.id} is flagged (${first.reason}); check it, then run: tricopy confirm ${first.id}`,
      destinations: [],
    };
  }
  let release: (() => Promise<void>) | undefined;
  if (!options.lockHeld && !options.dryRun) {
    const attempt = await takeJobLock(session, name, 'prune');
    if (!attempt.acquired) return { job: name, skipped: attempt.message, destinations: [] };
    release = () => attempt.lock.release();
  }
  try {
    const destinations: DestinationPrune[] = [];
    for (const destination of job.destinations) {
      const rules = rulesFor(job, destination);
      if (rules === undefined || !hasKeepRules(rules)) {
        destinations.push(skipped(destination, 'no keep rules for this destination'));
      } else if (options.onlyAuto && !rules.auto) {
        destinations.push(skipped(destination, 'auto prune is off for this destination'));
      } else {
        destinations.push(await pruneDestination(session, job, destination, rules, options.dryRun === true));
      }
    }
    const wal = await pruneWal(session, name, options.dryRun === true);
    return {
      job: name,
      destinations,
      ...(wal.skipped === undefined || wal.removed.length > 0 ? { wal } : {}),
    };
  } finally {
    await release?.();
  }
}

function skipped(destination: string, why: string): DestinationPrune {
  return { destination, skipped: why, kept: [], removed: [], foreign: [] };
}

async function pruneDestination(
  session: Session,
  job: PruneJob,
  destinationName: string,
  rules: Retention,
  dryRun: boolean,
): Promise<DestinationPrune> {
  const jobName = job.name;
  const all = await session.catalog.listBackups({ job: jobName });
  const backups = all.filter((b) => b.status !== 'running');
  const running = new Set(all.filter((b) => b.status === 'running').map((b) => b.id));
  const copyOf = new Map<string, CopyRow>();
  for (const backup of backups) {
    const copy = (await session.catalog.listCopies(backup.id)).find((c) => c.destination === destinationName);
    if (copy !== undefined) copyOf.set(backup.id, copy);
  }

  let destination: Destination;
  try {
    destination = await session.destination(destinationName);
  } catch (error) {
    return skipped(destinationName, `cannot open the destination: ${session.redact(describeError(error))}`);
  }
  let foreign: string[];
  try {
    foreign = await foreignObjects(destination, jobName, backups, copyOf, running);
  } catch (error) {
    return skipped(destinationName, `cannot list the destination: ${session.redact(describeError(error))}`);
  }
  if (foreign.length > 0) {
    session.logger.warn(
      `prune ${jobName} on ${destinationName}: ${foreign.length} object(s) the catalog does not know are left alone: ` +
        foreign.slice(0, 5).join(', ') +
        (foreign.length > 5 ? ', ...' : ''),
    );
  }

  // Removals an earlier, interrupted prune had decided on are finished first.
  const unfinished = backups.filter((b) => copyOf.get(b.id)?.status === 'deleting');
  const removed: PrunedCopy[] = [];
  for (const backup of unfinished) {
    removed.push(
      await removeCopy(
        session,
        destination,
        destinationName,
        backup,
        copyOf.get(backup.id) as CopyRow,
        dryRun,
      ),
    );
  }

  const verifiedHere = (b: BackupRow) => {
    const copy = copyOf.get(b.id);
    return copy !== undefined && copyCounts(copy);
  };
  const newest = backups[0];
  if (newest === undefined) return { ...skipped(destinationName, 'no backups yet'), removed, foreign };
  if (!verifiedHere(newest)) {
    return {
      ...skipped(
        destinationName,
        `the newest backup ${newest.id} (${newest.status}) has no verified copy here; nothing is pruned until one has`,
      ),
      removed,
      foreign,
    };
  }

  const snapshots = backups
    .filter(verifiedHere)
    .map((b) => ({ id: b.id, time: new Date(b.startedAt), seq: b.seq, backup: b }));
  const decision = applyRetention(snapshots, rules, job.timezone, session.now());
  // The catalog's order, not the clock's: listBackups gives the newest recorded first.
  const newestVerified = snapshots[0]?.id;
  for (const snapshot of decision.remove) {
    if (snapshot.id === newestVerified) continue; // never, whatever the rules say
    removed.push(
      await removeCopy(
        session,
        destination,
        destinationName,
        snapshot.backup,
        copyOf.get(snapshot.id) as CopyRow,
        dryRun,
      ),
    );
  }
  return {
    destination: destinationName,
    kept: decision.keep.map((k) => ({
      backupId: k.snapshot.id,
      startedAt: k.snapshot.backup.startedAt,
      reasons: k.reasons,
    })),
    removed,
    foreign,
  };
}

async function foreignObjects(
  destination: Destination,
  jobName: string,
  backups: readonly BackupRow[],
  copyOf: ReadonlyMap<string, CopyRow>,
  running: ReadonlySet<string>,
): Promise<string[]> {
  const known = new Set<string>();
  for (const backup of backups) {
    const copy = copyOf.get(backup.id);
    if (copy === undefined || copy.status === 'deleted') continue;
    known.add(copy.key);
    known.add(manifestKey(jobName, backup.id));
  }
  const foreign: string[] = [];
  for await (const object of destination.list(`${jobName}/`)) {
    if (known.has(object.key)) continue;
    // Archived WAL is pruned by its own rule (pruneWal), from the WAL catalog.
    if (object.key.startsWith(`${jobName}/wal/`)) continue;
    const backupId = object.key.split('/')[1];
    // A backup still running (seen by a dry run, which takes no lock) owns its keys.
    if (backupId !== undefined && running.has(backupId)) continue;
    foreign.push(object.key);
  }
  return foreign.sort();
}

/**
 * How an object found where a copy should be differs from what the catalog recorded of it (judged as every copy
 * is, by judgeCopy, on what `stat` shows); undefined when it does not, or nothing complete was recorded.
 */
function unlikeRecord(found: ObjectInfo, backup: BackupRow, copy: CopyRow): string | undefined {
  const size = backup.size ?? copy.size;
  const sha256 = backup.sha256 ?? copy.sha256;
  if (size === null || sha256 === null) return undefined;
  const check = judgeCopy({ size, sha256 }, { stat: found });
  if (check.ok) return undefined;
  return check.kind === 'checksum-mismatch'
    ? `holds other bytes (sha256 ${check.actualSha256}), the catalog records sha256 ${sha256}`
    : `holds ${check.actualSize} bytes, the catalog records ${size}`;
}

/** What a prune report says of a copy before its outcome. */
export function prunedCopyBase(backup: BackupRow, copy: CopyRow): Omit<PrunedCopy, 'status' | 'error'> {
  return { backupId: backup.id, startedAt: backup.startedAt, key: copy.key, size: copy.size ?? backup.size };
}

export async function removeCopy(
  session: Session,
  destination: Destination,
  destinationName: string,
  backup: BackupRow,
  copy: CopyRow,
  dryRun: boolean,
): Promise<PrunedCopy> {
  const base = prunedCopyBase(backup, copy);
  const foreign = foreignKeyProblem(backup, copy.key);
  if (foreign !== undefined) {
    session.logger.warn(`prune ${backup.job} on ${destinationName}: backup ${backup.id}: ${foreign}`);
    return { ...base, status: 'left-alone', error: foreign };
  }
  if (dryRun) return { ...base, status: 'would-delete' };
  try {
    const found = await destination.stat(copy.key);
    const unlike =
      copy.status === 'deleting' || found === undefined ? undefined : unlikeRecord(found, backup, copy);
    if (unlike !== undefined) {
      const why = `${unlike}: left alone (check it by hand)`;
      session.logger.warn(`prune ${backup.job} on ${destinationName}: ${copy.key} ${why}`);
      return { ...base, status: 'left-alone', error: why };
    }
    await session.catalog.setCopyStatus(backup.id, destinationName, 'deleting');
    // The manifest goes first: a half-done removal is then invisible to a catalog rebuild as well.
    await destination.delete(manifestKey(backup.job, backup.id));
    await destination.delete(copy.key);
    if ((await destination.stat(copy.key)) !== undefined)
      throw new Error(`${copy.key} is still there after delete`);
    await session.catalog.transaction(async (tx) => {
      await tx.setCopyStatus(backup.id, destinationName, 'deleted');
      // Marked pruned only when no copy's bytes may still be anywhere.
      if (!(await tx.listCopies(backup.id)).some((c) => copyCounts(c, 'may-exist')))
        await tx.markPruned(backup.id);
    });
    session.logger.info(`pruned backup ${backup.id} of job ${backup.job} from ${destinationName}`);
    return { ...base, status: 'deleted' };
  } catch (error) {
    const message = session.redact(describeError(error));
    session.logger.error(`prune ${backup.job} on ${destinationName}: ${backup.id}: ${message}`);
    return { ...base, status: 'error', error: message };
  }
}
