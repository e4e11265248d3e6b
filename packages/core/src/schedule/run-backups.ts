import { backupJob } from '../backup/backup.js';
import { evaluatePolicy, jobPolicy } from '../copies/policy.js';
import { takeJobLockWithin } from '../locks/job-lock.js';
import { RunNotifier } from '../notify/run-notifier.js';
import { type JobPrune, pruneBackups } from '../prune/prune.js';
import { flagIfAnomalous } from '../prune/shrink.js';
import type { BackupEvents, JobResult, RunStatus } from '../results/backup-result.js';
import { prepareJobRun } from '../session/prepare-run.js';
import type { Session } from '../session/session.js';
import { describeError } from '../util/errors.js';

export interface RunReport {
  readonly runs: readonly JobResult[];
  /** The worst status over all jobs. */
  readonly status: RunStatus;
  /** Automatic prunes (retention `auto: true`) that ran after successful backups. */
  readonly prunes: readonly JobPrune[];
  /**
   * Jobs whose run failed because their catalog lock was lost mid-run (its database connection broke, e.g. the
   * catalog's PostgreSQL restarted): no fault of the job, worth running again.
   */
  readonly lostLock: readonly string[];
}

export interface RunOptions {
  readonly events?: BackupEvents;
  readonly signal?: AbortSignal;
  /** How long to wait for a job's lock held by someone else before refusing the job (default: not at all). */
  readonly lockWaitMs?: number;
  /**
   * The caller runs a job again when its run fails for a lost catalog lock (a fleet worker with retries left): that
   * failure is not notified, the next attempt's outcome is.
   */
  readonly lostLockIsRetried?: boolean;
  /** Notification retry tuning (tests); defaults are 3 retries from 1 s. */
  readonly notify?: { readonly retries?: number; readonly minRetryDelayMs?: number };
}

/**
 * Backs up the given jobs (all by default), at most `config.concurrency` at once. One job failing never stops the
 * others. With `policy.enforce: error`, a job whose destinations cannot meet the 3-2-1 policy is refused. A job
 * runs only while holding its lock file, so it never runs twice at once, across processes too.
 */
export async function runBackups(
  session: Session,
  jobNames?: readonly string[],
  options: RunOptions = {},
): Promise<RunReport> {
  const names = jobNames && jobNames.length > 0 ? [...jobNames] : [...session.config.jobs.keys()];
  for (const name of names) session.job(name);
  const runId = await session.catalog.startRun(`backup ${names.join(' ')}`);
  const results: JobResult[] = new Array(names.length);
  const prunes: JobPrune[] = [];
  const lostLock: string[] = [];
  const notifier = new RunNotifier(new Map(names.map((name) => [name, session.job(name).notify])), {
    logger: session.logger,
    redact: (text: string) => session.redact(text),
    ...options.notify,
  });
  logUnusableNotify(session, names);
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const index = next++;
      const name = names[index] as string;
      results[index] = await runOne(session, name, options, { runId, prunes, lostLock, notifier });
    }
  };
  await Promise.all(Array.from({ length: Math.min(session.config.concurrency, names.length) }, worker));
  const status = worstStatus(results.map((r) => r.status));
  await session.catalog.finishRun(runId, status);
  return { runs: results, status, prunes, lostLock };
}

/** Notify targets that use an unset variable are left out of the run: said once each, with the jobs they miss. */
function logUnusableNotify(session: Session, names: readonly string[]): void {
  const jobsByReason = new Map<string, string[]>();
  for (const name of names) {
    for (const reason of session.job(name).notifyUnusable ?? [])
      jobsByReason.set(reason, [...(jobsByReason.get(reason) ?? []), name]);
  }
  for (const [reason, jobs] of jobsByReason)
    session.logger.error(
      `notification target left out (jobs ${jobs.join(', ')} are not notified by it): ${reason}`,
    );
}

/** What the jobs of one run share: its id, where each reports its prune and lost lock, and the notifier. */
interface RunShared {
  readonly runId: number;
  readonly prunes: JobPrune[];
  readonly lostLock: string[];
  readonly notifier: RunNotifier;
}

async function runOne(
  session: Session,
  name: string,
  options: RunOptions,
  { runId, prunes, lostLock, notifier }: RunShared,
): Promise<JobResult> {
  const job = session.job(name);
  const policy = jobPolicy(session.config, name);
  if (!policy.met) {
    if (session.config.policy.enforce === 'error') {
      const result = refused(
        session,
        name,
        `refused by policy.enforce: error: the job's destinations give ${policy.shortfall}`,
      );
      options.events?.onJobDone?.(result);
      await notifier.jobFinished(result);
      return result;
    }
    session.logger.warn(`job ${name} is below the 3-2-1 policy: ${policy.shortfall}`, { job: name });
  }

  const lock = await takeJobLockWithin(
    session,
    name,
    'backup',
    options.lockWaitMs ?? 0,
    options.signal,
  ).catch(
    (error: unknown) =>
      ({ acquired: false, message: `job "${name}": cannot take its lock: ${describeError(error)}` }) as const,
  );
  if (!lock.acquired) {
    const result = refused(session, name, `not started: ${lock.message}`);
    session.logger.warn(result.error as string);
    options.events?.onJobDone?.(result);
    await notifier.jobFinished(result);
    return result;
  }
  if (lock.tookOverFrom !== undefined) {
    session.logger.warn(
      `job ${name}: took over a stale lock of pid ${lock.tookOverFrom.pid} (no longer running) from ${lock.tookOverFrom.since}`,
    );
  }

  try {
    await prepareJobRun(session, name);
    await notifier.jobStarting(name);
    let result: JobResult;
    // A lock kept in a database is lost with its connection: another machine may then start the job, so stop.
    const signals = [options.signal, lock.lock.lost].filter((s) => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    try {
      result = await backupJob(session, name, {
        runId,
        ...(options.events === undefined ? {} : { events: options.events }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      result = refused(session, name, session.redact(describeError(error)));
    }
    if (result.status !== 'failed') {
      try {
        const flagged = await flagIfAnomalous(session, result);
        if (flagged !== undefined) result = { ...result, flagged };
        if (wantsAutoPrune(job) && !options.signal?.aborted) {
          const report = await pruneBackups(session, { jobs: [name], onlyAuto: true, lockHeld: true });
          prunes.push(...report.jobs);
          for (const pruned of report.jobs)
            if (pruned.skipped) session.logger.warn(`auto prune ${name}: ${pruned.skipped}`);
        }
      } catch (error) {
        session.logger.error(
          `job ${name}: after-backup retention failed: ${session.redact(describeError(error))}`,
        );
      }
    }
    const lockWasLost = result.status === 'failed' && lock.lock.lost?.aborted === true;
    if (lockWasLost) lostLock.push(name);
    if (!(lockWasLost && options.lostLockIsRetried)) await notifier.jobFinished(result);
    return result;
  } finally {
    await lock.lock.release();
  }
}

function wantsAutoPrune(job: {
  retention?: { auto: boolean };
  retentionByDestination?: Readonly<Record<string, { auto: boolean }>>;
}): boolean {
  return job.retention?.auto === true || Object.values(job.retentionByDestination ?? {}).some((r) => r.auto);
}

function refused(session: Session, name: string, error: string): JobResult {
  const now = session.now().toISOString();
  return {
    job: name,
    backupId: '',
    status: 'failed',
    startedAt: now,
    finishedAt: now,
    copies: [],
    encrypted: session.config.jobs.get(name)?.encryption !== undefined,
    error,
    policy: evaluatePolicy([], session.config.policy),
  };
}

export function worstStatus(statuses: readonly RunStatus[]): RunStatus {
  if (statuses.includes('failed')) return 'failed';
  if (statuses.includes('degraded')) return 'degraded';
  return 'ok';
}
