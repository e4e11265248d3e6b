import { RotationJobs, runRotationTick } from '@tricopy/core';
import type { Job, PgBoss } from 'pg-boss';
import { refuseStaleConfig } from './config-check.js';
import { BACKUP_QUEUE, type VerifyRequest } from './queue.js';
import type { WorkerOptions } from './worker-options.js';

export interface VerifyOutput {
  readonly worker: string;
}

/** How often a verification looks whether a backup of its job is waiting for the job's lock. */
const YIELD_CHECK_MS = 2000;
const WAITING = new Set(['created', 'retry', 'active']);

/**
 * Runs one tick of the fleet's rotating verification: for each job with `verify` windows, under the job's catalog
 * lock, what rotation finds due (a job whose lock is held, by its backup or prune, is skipped until the next tick).
 * A backup of the job queued meanwhile goes first: the verification stops at its next step and frees the lock.
 * Handed back on `handBack`: pg-boss then runs the tick once more elsewhere.
 */
export async function runVerifyTick(
  boss: PgBoss,
  job: Job<VerifyRequest>,
  worker: string,
  options: WorkerOptions,
): Promise<VerifyOutput> {
  const { config, logger } = options;
  refuseStaleConfig(job.data.configHash, 'a verification tick', worker, config);
  const abort = new AbortController();
  const onHandBack = () =>
    abort.abort(new Error(`${worker} is stopping: the verification goes back to the queue`));
  options.handBack.addEventListener('abort', onHandBack, { once: true });
  const active = new RotationJobs();
  const watch = setInterval(() => void yieldToQueuedBackups(boss, active, logger), YIELD_CHECK_MS);
  try {
    logger.info(`rotating verification: tick ${job.id} on ${worker}`, { event: 'rotation-tick' });
    await runRotationTick(config, {
      logger,
      signal: abort.signal,
      tickMs: job.data.tickSeconds * 1000,
      catalog: options.catalog,
      active,
    });
    if (abort.signal.aborted) throw abort.signal.reason;
    return { worker };
  } finally {
    clearInterval(watch);
    options.handBack.removeEventListener('abort', onHandBack);
  }
}

async function yieldToQueuedBackups(
  boss: PgBoss,
  active: RotationJobs,
  logger: WorkerOptions['logger'],
): Promise<void> {
  for (const name of active.jobs()) {
    try {
      const runs = await boss.findJobs(BACKUP_QUEUE, { key: name });
      if (runs.some((run) => WAITING.has(run.state)))
        await active.yieldTo(name, `a backup of job ${name} is queued`);
    } catch (error) {
      logger.debug(`rotating verification: looking for queued backups of ${name}: ${String(error)}`);
    }
  }
}
