import type { Logger } from '@tricopy/contract';
import type { BackupRow, Catalog } from '../catalog/catalog.js';
import type { JobSpec, LoadedConfig } from '../config/load.js';
import { countedCopies } from '../copies/copy-state.js';
import { takeJobLock } from '../locks/job-lock.js';
import { Session } from '../session/session.js';
import { describeError } from '../util/errors.js';
import { type VerifyReport, verifyBackups } from '../verify/verify.js';
import { drillIfDue } from './drill-due.js';
import { dueVerifications, type RotationCopy, type RotationInput } from './rotation.js';

/** One tick of rotating verification in the daemon: reads the catalog, asks rotation.ts what is due, verifies it. */

const latest = (dates: readonly string[]): Date | null =>
  dates.length === 0 ? null : new Date(Math.max(...dates.map((d) => Date.parse(d))));

/** What rotation.ts needs to know of one job, from the catalog. */
export async function rotationInput(
  catalog: Catalog,
  job: JobSpec,
  now: Date,
  tickMs: number,
): Promise<RotationInput> {
  const all = await catalog.listBackups({ job: job.name, statuses: ['ok', 'degraded'] });
  const kept = all.filter((b) => b.prunedAt === null && b.finishedAt !== null);
  const copies: RotationCopy[] = [];
  for (const b of kept) {
    const checks = (await catalog.listVerifications(b.id)).filter((v) => v.level === 'deep');
    for (const c of countedCopies(await catalog.listCopies(b.id))) {
      copies.push({
        backupId: b.id,
        destination: c.destination,
        finishedAt: new Date(b.finishedAt as string),
        lastDeepAt: latest(checks.filter((v) => v.destination === c.destination).map((v) => v.checkedAt)),
      });
    }
  }
  const restoreTests: string[] = [];
  for (const b of all) {
    for (const v of await catalog.listVerifications(b.id))
      if (v.level === 'restore-test') restoreTests.push(v.checkedAt);
  }
  return {
    now,
    tickMs,
    ...job.verifyEvery,
    copies,
    latestBackupId: kept[0]?.id ?? null,
    lastRestoreTestAt: latest(restoreTests),
  };
}

export interface RotationTickOptions {
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly tickMs: number;
  readonly now?: () => Date;
  /** The catalog to use (a fleet worker's); without it the tick opens the config's and closes it after. */
  readonly catalog?: Catalog;
  /** The verifications in progress, so that a backup about to start can make its job's yield (see RotationJobs). */
  readonly active?: RotationJobs;
  /** See SessionOptions.walFetchCommand: restore tests of WAL jobs replay their WAL. */
  readonly walFetchCommand?: (job: string) => string;
}

/**
 * Runs what is due for every job that has `verify` windows, each under the job's lock (the one backups and prunes
 * take): a job whose lock is held is skipped until the next tick. A failure is logged, never thrown.
 */
export async function runRotationTick(config: LoadedConfig, options: RotationTickOptions): Promise<void> {
  const jobs = [...config.jobs.values()].filter(
    (j) => j.verifyEvery !== undefined || j.drill?.schedule !== undefined,
  );
  if (jobs.length === 0 || options.signal.aborted) return;
  const session = new Session({
    config,
    logger: options.logger,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.catalog === undefined ? {} : { catalog: options.catalog }),
    ...(options.walFetchCommand === undefined ? {} : { walFetchCommand: options.walFetchCommand }),
  });
  const active = options.active ?? new RotationJobs();
  try {
    for (const job of jobs) {
      if (options.signal.aborted) return;
      await active.run(job.name, options.signal, (signal) =>
        verifyLocked(session, job, { ...options, signal }),
      );
    }
  } finally {
    await session.close();
    if (options.catalog === undefined) await session.closeCatalog();
  }
}

/** The job being verified, so that its backup can take precedence: `yieldTo` stops it and waits for its lock. */
export class RotationJobs {
  readonly #running = new Map<string, { abort: AbortController; done: Promise<void> }>();

  async run(job: string, signal: AbortSignal, fn: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const abort = new AbortController();
    const done = fn(AbortSignal.any([signal, abort.signal]));
    this.#running.set(job, { abort, done });
    try {
      await done;
    } finally {
      this.#running.delete(job);
    }
  }

  /** The jobs being verified now. */
  jobs(): string[] {
    return [...this.#running.keys()];
  }

  /** Stops the verification of `job` (a copy being read is cut off, recording nothing) and resolves once it is over. */
  async yieldTo(job: string, why: string): Promise<void> {
    const running = this.#running.get(job);
    if (running === undefined) return;
    running.abort.abort(new Error(why));
    await running.done.catch(() => undefined);
  }
}

async function verifyLocked(
  session: Session,
  job: JobSpec,
  options: { logger: Logger; signal: AbortSignal; tickMs: number },
): Promise<void> {
  const { logger } = options;
  const attempt = await takeJobLock(session, job.name, 'verify').catch(
    (error: unknown) =>
      ({ acquired: false, message: `cannot take its lock: ${describeError(error)}` }) as const,
  );
  if (!attempt.acquired) {
    logger.info(`job ${job.name}: rotating verification skipped this time: ${attempt.message}`, {
      job: job.name,
      event: 'rotation-skipped',
    });
    return;
  }
  try {
    const lost = attempt.lock.lost;
    const signal = lost === undefined ? options.signal : AbortSignal.any([options.signal, lost]);
    await verifyDue(session, job, { ...options, signal });
    await drillIfDue(session, job, { logger, signal });
  } finally {
    await attempt.lock.release();
  }
}

async function verifyDue(
  session: Session,
  job: JobSpec,
  options: { logger: Logger; signal: AbortSignal; tickMs: number },
): Promise<void> {
  const { logger, signal } = options;
  try {
    const due = dueVerifications(await rotationInput(session.catalog, job, session.now(), options.tickMs));
    const backupIds = [...new Set(due.deep.map((c) => c.backupId))];
    const byId = new Map(
      (await session.catalog.listBackups({ job: job.name })).map((b) => [b.id, b] as const),
    );
    const pick = (ids: readonly string[]) =>
      ids.flatMap((id) => (byId.has(id) ? [byId.get(id) as BackupRow] : []));
    // A restore test re-hashes every copy of its backup first: that backup needs no deep pass of its own.
    const tested =
      due.restoreTest === null
        ? undefined
        : await verifyBackups(session, pick([due.restoreTest]), 'restore-test', { signal });
    const rest = backupIds.filter((id) => id !== due.restoreTest);
    const deep = rest.length === 0 ? undefined : await verifyBackups(session, pick(rest), 'deep', { signal });
    const rehashed = [
      ...(deep?.copies ?? []),
      ...(due.restoreTest !== null && backupIds.includes(due.restoreTest) ? (tested?.copies ?? []) : []),
    ];
    if (backupIds.length > 0) logDeep(logger, job.name, backupIds, rehashed);
    if (due.restoreTest !== null && tested !== undefined)
      logRestoreTest(logger, job.name, due.restoreTest, tested.ok);
  } catch (error) {
    if (signal.aborted)
      logger.info(`job ${job.name}: rotating verification stopped: ${describeError(signal.reason)}`, {
        job: job.name,
        event: 'rotation-stopped',
      });
    else
      logger.error(`job ${job.name}: rotating verification: ${describeError(error)}`, {
        job: job.name,
        event: 'rotation-error',
      });
  }
}

function logDeep(
  logger: Logger,
  job: string,
  backups: readonly string[],
  copies: VerifyReport['copies'],
): void {
  const failed = copies.filter((c) => c.status !== 'ok');
  const fields = { job, event: 'rotation-deep', backups, failed: failed.length };
  if (failed.length === 0)
    logger.info(`job ${job}: rotating deep verify of ${copies.length} copies: ok`, fields);
  else
    logger.error(
      `job ${job}: rotating deep verify: ${failed.map((c) => `${c.backupId} on ${c.destination}: ${c.status}`).join('; ')}`,
      fields,
    );
}

function logRestoreTest(logger: Logger, job: string, backupId: string, ok: boolean): void {
  const fields = { job, event: 'rotation-restore-test', backupId, ok };
  if (ok) logger.info(`job ${job}: restore test of ${backupId}: ok`, fields);
  else logger.error(`job ${job}: restore test of ${backupId}: FAILED`, fields);
}
