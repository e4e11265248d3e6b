import { hostname } from 'node:os';
import { describeError, type JobResult, runBackups, Session } from '@tricopy/core';
import type { Job } from 'pg-boss';
import { refuseStaleConfig } from './config-check.js';
import {
  BACKUP_QUEUE,
  BACKUP_RETRY_LIMIT,
  type RunOutput,
  type RunRequest,
  startQueue,
  VERIFY_QUEUE,
  type VerifyRequest,
} from './queue.js';
import { resourcesOf, takeSlots } from './run-slots.js';
import { runVerifyTick, type VerifyOutput } from './verify-worker.js';
import type { WorkerOptions } from './worker-options.js';

export type { WorkerOptions } from './worker-options.js';

/**
 * How long a queued backup waits for its job's lock. A rotating verification holding it stops within seconds of
 * seeing the backup active; refusing at once would fail the attempt and send a false failure notification.
 */
const LOCK_WAIT_MS = 60_000;

/**
 * Runs backups from the fleet's queue until `stop`, then waits for what it is running (or, on `handBack`, aborts
 * it: pg-boss retries those runs on another worker). A queued run whose config hash differs from this worker's
 * config is refused, never run with a stale definition.
 */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const { config, logger } = options;
  const worker = `pid ${process.pid} on ${hostname()}`;
  // The catalog's schema first: the run slots and locks live in it.
  await options.catalog.schemaVersion();
  const boss = await startQueue(config, 'worker', logger);
  try {
    await boss.work<RunRequest, RunOutput>(
      BACKUP_QUEUE,
      {
        localConcurrency: options.concurrency,
        pollingIntervalSeconds: 1,
        notifyPollingIntervalSeconds: 1,
        burstWhenReadyExceeds: 1,
      },
      async ([job]) => runQueued(job as Job<RunRequest>, worker, options),
    );
    // One verification tick at a time in the fleet (the queue's policy); it takes each job's lock as it goes.
    await boss.work<VerifyRequest, VerifyOutput>(
      VERIFY_QUEUE,
      { localConcurrency: 1, pollingIntervalSeconds: 5 },
      async ([job]) => runVerifyTick(boss, job as Job<VerifyRequest>, worker, options),
    );
    logger.info(`worker ${worker} started: ${options.concurrency} run(s) at once`, {
      event: 'worker-started',
      concurrency: options.concurrency,
    });
    if (!options.stop.aborted)
      await new Promise((resolve) => options.stop.addEventListener('abort', resolve, { once: true }));
    logger.info('stopping: no new runs; waiting for the running ones', { event: 'worker-stopping' });
    await Promise.all([
      boss.offWork(BACKUP_QUEUE, { wait: true }),
      boss.offWork(VERIFY_QUEUE, { wait: true }),
    ]);
  } finally {
    await boss.stop({ graceful: false });
  }
}

/** Runs one queued run; whatever stops it is logged, then thrown so pg-boss retries the run. */
async function runQueued(job: Job<RunRequest>, worker: string, options: WorkerOptions): Promise<RunOutput> {
  try {
    return await runChecked(job, worker, options);
  } catch (error) {
    options.logger.warn(`job ${job.data.job}: queued run ${job.id} not done: ${describeError(error)}`, {
      job: job.data.job,
      event: 'run-failed',
    });
    throw error;
  }
}

async function runChecked(job: Job<RunRequest>, worker: string, options: WorkerOptions): Promise<RunOutput> {
  const { config, logger } = options;
  const request = job.data;
  refuseStaleConfig(request.configHash, `the run of job "${request.job}"`, worker, config);
  const spec = config.jobs.get(request.job);
  if (spec === undefined) throw new Error(`${worker}: no job "${request.job}" in ${config.file}`);
  const abort = new AbortController();
  const onHandBack = () => abort.abort(new Error(`${worker} is stopping: the run goes back to the queue`));
  options.handBack.addEventListener('abort', onHandBack, { once: true });
  const session = new Session({ config, logger, catalog: options.catalog });
  try {
    const slots = await takeSlots(
      config.catalogUrl as string,
      resourcesOf(config, spec),
      abort.signal,
      (name) =>
        logger.info(`job ${request.job}: waiting for a free slot of ${name} (fleet limit)`, {
          job: request.job,
          event: 'waiting',
        }),
    );
    let result: JobResult;
    let lostLock = false;
    try {
      logger.info(`job ${request.job}: starting queued run ${job.id}`, {
        job: request.job,
        event: 'job-start',
      });
      const report = await runBackups(session, [request.job], {
        signal: abort.signal,
        lockWaitMs: LOCK_WAIT_MS,
        lostLockIsRetried: job.retryCount < BACKUP_RETRY_LIMIT,
      });
      result = report.runs[0] as JobResult;
      lostLock = report.lostLock.includes(request.job);
    } finally {
      await slots.release();
    }
    // Aborted (handed back) or not started (its lock is held elsewhere): fail it, so pg-boss runs it again later.
    if (abort.signal.aborted) throw abort.signal.reason;
    if (result.backupId === '') throw new Error(result.error ?? `job ${request.job} was not started`);
    // Its catalog lock was lost (the catalog's database restarted, say): no fault of the job, so it runs again.
    if (lostLock)
      throw new Error(`${result.error ?? 'its catalog lock was lost'}; the run goes back to the queue`);
    logger.info(`job ${request.job}: ${result.status}`, {
      job: request.job,
      event: 'job-done',
      status: result.status,
      backupId: result.backupId,
    });
    return {
      job: request.job,
      backupId: result.backupId,
      status: result.status,
      worker,
      ...(result.error === undefined ? {} : { error: result.error }),
    };
  } finally {
    options.handBack.removeEventListener('abort', onHandBack);
    await session.close();
  }
}
