import type { Logger } from '@tricopy/contract';
import { Cron } from 'croner';
import type { LoadedConfig } from '../config/load.js';
import type { JobResult } from '../results/backup-result.js';
import { Session } from '../session/session.js';
import { validateCron } from '../util/cron.js';
import { describeError, UsageError } from '../util/errors.js';
import { RotationJobs, runRotationTick } from './rotation-run.js';
import { runBackups } from './run-backups.js';
import { startWalArchivers } from './wal-archivers.js';

export interface DaemonOptions {
  readonly config: LoadedConfig;
  readonly logger: Logger;
  /** Aborting it stops scheduling and aborts running backups (they clean up and are recorded as failed). */
  readonly signal: AbortSignal;
  readonly now?: () => Date;
  readonly onResult?: (result: JobResult) => void;
  /** Receives the function that replaces the config of the running daemon (see `DaemonControl.reload`). */
  readonly onReady?: (control: DaemonControl) => void;
  /** How often rotating verification looks for what is due (default 1 hour; it also looks at start). */
  readonly rotationTickMs?: number;
  /** See SessionOptions.walFetchCommand: rotating restore tests of WAL jobs replay their WAL. */
  readonly walFetchCommand?: (job: string) => string;
}

export interface DaemonControl {
  /**
   * Schedules by `config` from now on. Throws a UsageError (and changes nothing) when its schedules are invalid.
   * Backups already running finish under the config they started with; a job never runs twice at once.
   */
  reload(config: LoadedConfig): void;
}

/** Says at start (not only at 3 a.m.) which scheduled job will fail until its config is fixed, and why. */
function warnIfUnusable(config: LoadedConfig, name: string, logger: Logger): void {
  const job = config.jobs.get(name);
  if (job === undefined) return;
  const reasons = [
    ...(job.unusable === undefined ? [] : [job.unusable]),
    ...job.destinations.flatMap((d) => {
      const reason = config.destinations.get(d)?.unusable;
      return reason === undefined ? [] : [`destination ${d}: ${reason}`];
    }),
  ];
  if (reasons.length === 0) return;
  logger.warn(`job ${name}: will fail (or degrade) at every run until fixed: ${reasons.join('; ')}`, {
    job: name,
    event: 'job-unusable',
  });
}

/**
 * Runs every job that has a `schedule` on it (croner, in the job's `timezone`), at most `concurrency` jobs at once,
 * never the same job twice at once. Resolves after `signal` aborts and every running backup has ended.
 */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const { logger, signal } = options;
  scheduledJobs(options.config);
  let config = options.config;
  const running = new Map<string, Promise<void>>();
  const slots = concurrencySlots(() => config.concurrency);

  const runJob = async (name: string, cron: Cron, jobConfig: LoadedConfig) => {
    await slots.take();
    try {
      if (signal.aborted) return;
      // The job's lock may be held by its rotating verification: a backup goes first.
      await rotation.yieldTo(name, `its scheduled backup is starting`);
      await runScheduled(name, jobConfig, options);
    } catch (error) {
      logger.error(`job ${name}: ${describeError(error)}`, { job: name, event: 'job-error' });
    } finally {
      slots.give();
      const next = cron.isStopped() ? null : cron.nextRun();
      if (!signal.aborted && next)
        logger.info(`job ${name}: next run ${next.toISOString()}`, { job: name, next: next.toISOString() });
    }
  };

  const start = (current: LoadedConfig): Cron[] =>
    scheduledJobs(current).map((job) => {
      const cron: Cron = new Cron(
        job.schedule as string,
        { ...(job.timezone === undefined ? {} : { timezone: job.timezone }), name: job.name },
        () => {
          if (signal.aborted) return;
          if (running.has(job.name)) {
            logger.warn(`job ${job.name}: previous run still going; this run is skipped`, {
              job: job.name,
              event: 'job-skipped',
            });
            return;
          }
          const run = runJob(job.name, cron, current).finally(() => running.delete(job.name));
          running.set(job.name, run);
        },
      );
      const next = cron.nextRun();
      logger.info(`job ${job.name}: scheduled "${job.schedule}"${job.timezone ? ` (${job.timezone})` : ''}`, {
        job: job.name,
        schedule: job.schedule,
        next: next?.toISOString() ?? null,
      });
      warnIfUnusable(current, job.name, logger);
      return cron;
    });

  const rotation = startRotation(() => config, options);
  let crons = start(config);
  let archivers = startWalArchivers(config, logger, signal);
  logUnscheduled(config, logger);
  options.onReady?.({
    reload(next) {
      scheduledJobs(next);
      for (const cron of crons) cron.stop();
      config = next;
      crons = start(next);
      archivers = startWalArchivers(next, logger, signal, archivers);
      logUnscheduled(next, logger);
    },
  });

  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  for (const cron of crons) cron.stop();
  await rotation.stop();
  await archivers.stop();
  if (running.size > 0) {
    logger.info(`stopping: waiting for ${running.size} running backup(s) to end`, { event: 'shutdown' });
  }
  await Promise.allSettled([...running.values()]);
  logger.info('stopped', { event: 'stopped' });
}

const HOUR = 3_600_000;

/** Rotating verification each tick (one tick at a time), under the config in force at each tick. */
function startRotation(config: () => LoadedConfig, options: DaemonOptions) {
  const tickMs = options.rotationTickMs ?? HOUR;
  const active = new RotationJobs();
  let current: Promise<void> | undefined;
  const tick = () => {
    if (current !== undefined || options.signal.aborted) return;
    const { logger, signal } = options;
    current = runRotationTick(config(), {
      logger,
      signal,
      tickMs,
      active,
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.walFetchCommand === undefined ? {} : { walFetchCommand: options.walFetchCommand }),
    })
      .catch((error: unknown) => logger.error(`rotating verification: ${describeError(error)}`))
      .finally(() => {
        current = undefined;
      });
  };
  const timer = setInterval(tick, tickMs);
  tick();
  return {
    yieldTo: (job: string, why: string) => active.yieldTo(job, why),
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}

/** The jobs with a schedule; throws a UsageError if there are none or a schedule is invalid. */
function scheduledJobs(config: LoadedConfig) {
  const scheduled = [...config.jobs.values()].filter((job) => job.schedule !== undefined);
  if (scheduled.length === 0) {
    throw new UsageError(
      'no job has a schedule: add e.g. `schedule: "0 3 * * *"` to a job (cron syntax, optional timezone)',
    );
  }
  const problems = scheduled.flatMap((job) => {
    const problem = validateCron(job.schedule as string, job.timezone);
    return problem === undefined ? [] : [`jobs.${job.name}.schedule "${job.schedule}": ${problem}`];
  });
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return scheduled;
}

function logUnscheduled(config: LoadedConfig, logger: Logger): void {
  const unscheduled = [...config.jobs.values()]
    .filter((job) => job.schedule === undefined)
    .map((j) => j.name);
  if (unscheduled.length > 0) logger.info(`not scheduled (no schedule): ${unscheduled.join(', ')}`);
}

/** At most `limit()` holders at once (read at each take, so a reload can change it). */
function concurrencySlots(limit: () => number) {
  const waiting: (() => void)[] = [];
  let active = 0;
  return {
    async take() {
      if (active >= limit()) await new Promise<void>((resolve) => waiting.push(resolve));
      active++;
    },
    give() {
      active--;
      waiting.shift()?.();
    },
  };
}

async function runScheduled(name: string, config: LoadedConfig, options: DaemonOptions): Promise<void> {
  const { logger, signal } = options;
  const session = new Session({
    config,
    logger,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  try {
    logger.info(`job ${name}: starting scheduled backup`, { job: name, event: 'job-start' });
    const report = await runBackups(session, [name], { signal });
    for (const result of report.runs) {
      logResult(logger, result);
      options.onResult?.(result);
    }
    for (const prune of report.prunes) {
      const removed = prune.destinations.flatMap((d) => d.removed.filter((r) => r.status === 'deleted'));
      if (removed.length > 0)
        logger.info(`job ${name}: pruned ${removed.length} copies`, { job: name, event: 'prune' });
    }
  } finally {
    await session.close();
    await session.closeCatalog();
  }
}

function logResult(logger: Logger, result: JobResult): void {
  const name = result.job;
  const fields = {
    job: name,
    event: 'job-done',
    status: result.status,
    backupId: result.backupId,
    size: result.size ?? null,
    copies: result.copies.map((c) => ({ destination: c.destination, status: c.status })),
    ...(result.error === undefined ? {} : { error: result.error }),
    ...(result.flagged === undefined ? {} : { flagged: result.flagged }),
  };
  if (result.status === 'ok' && result.flagged !== undefined)
    logger.warn(`job ${name}: ok but flagged: ${result.flagged}`, fields);
  else if (result.status === 'ok') logger.info(`job ${name}: ok`, fields);
  else if (result.status === 'degraded') logger.warn(`job ${name}: degraded`, fields);
  else logger.error(`job ${name}: failed`, fields);
}
