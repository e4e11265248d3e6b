import type { Logger } from '@tricopy/contract';
import type { LoadedConfig } from '@tricopy/core';
import { PgBoss } from 'pg-boss';
import { catalogOpenError } from './catalog-errors.js';

/** pg-boss keeps the fleet's queue in this schema of the catalog's database. */
export const QUEUE_SCHEMA = 'tricopy_queue';
/** The one queue: a message is one run of one job. */
export const BACKUP_QUEUE = 'tricopy-backup';
/** Rotating verification: a message is one tick of it, for every job with `verify` windows. */
export const VERIFY_QUEUE = 'tricopy-verify';
/** How often the fleet's rotating verification looks for what is due, as the single-machine daemon does. */
export const VERIFY_TICK_SECONDS = 3600;
/** How many times a failed run is tried again (a worker that died, a run whose catalog lock was lost). */
export const BACKUP_RETRY_LIMIT = 3;
/** A run that outlives this is given up on (and retried) even if its worker is alive. */
const MAX_RUN_SECONDS = 24 * 3600;

/** What a queued run carries. */
export interface RunRequest {
  readonly job: string;
  /** SHA-256 of the config file the run was queued with (a worker with another config refuses it). */
  readonly configHash: string;
  readonly by: 'enqueue' | 'schedule';
}

/** What a worker stores as the run's output once the backup is recorded. */
export interface RunOutput {
  readonly job: string;
  readonly backupId: string;
  readonly status: 'ok' | 'degraded' | 'failed';
  readonly error?: string;
  readonly worker: string;
}

/** One tick of rotating verification, queued by a daemon (once per tick across the fleet). */
export interface VerifyRequest {
  readonly configHash: string;
  /** The tick's length: the share of each job's copies re-hashed per tick follows from it. */
  readonly tickSeconds: number;
}

export type Role = 'worker' | 'daemon' | 'client';

/**
 * Starts pg-boss on the catalog's database. Workers supervise the queue (so a dead worker's run is failed and
 * retried without any daemon); only daemons turn schedules into runs; a client (`enqueue`) does neither.
 */
export async function startQueue(config: LoadedConfig, role: Role, logger: Logger): Promise<PgBoss> {
  const url = config.catalogUrl;
  if (url === undefined) throw new Error('fleet mode needs a postgres:// catalog');
  const check = Math.max(1, Math.floor(config.fleet.heartbeatSeconds / 2));
  const boss = new PgBoss({
    connectionString: url,
    schema: QUEUE_SCHEMA,
    application_name: `tricopy-${role}`,
    max: 4,
    // Workers are woken when a run is queued, instead of at their next poll.
    useListenNotify: role === 'worker',
    supervise: role === 'worker',
    schedule: role === 'daemon',
    superviseIntervalSeconds: check,
    monitorIntervalSeconds: check,
    ...(role === 'daemon' ? { cronMonitorIntervalSeconds: 10 } : {}),
  });
  boss.on('error', (error: Error) => logger.error(`queue: ${config.redactor.redact(error.message)}`));
  try {
    await boss.start();
    await ensureQueues(boss, config.fleet.heartbeatSeconds);
  } catch (error) {
    await boss.stop({ graceful: false }).catch(() => undefined);
    throw catalogOpenError(url, error);
  }
  return boss;
}

/**
 * The backup queue's policy is `exclusive` keyed by job name: a job queued, waiting for a retry, or running is not queued
 * again. A worker that stops sending heartbeats has its run failed and retried (on whichever worker is free).
 */
async function ensureQueues(boss: PgBoss, heartbeatSeconds: number): Promise<void> {
  const common = {
    policy: 'exclusive' as const,
    notify: true,
    heartbeatSeconds,
    expireInSeconds: MAX_RUN_SECONDS,
  };
  await ensureQueue(boss, BACKUP_QUEUE, {
    ...common,
    retryLimit: BACKUP_RETRY_LIMIT,
    retryDelay: 5,
    retryBackoff: true,
    retryDelayMax: 300,
  });
  // A verification tick whose worker died is run once more; a tick that ran is never repeated (the next one comes).
  await ensureQueue(boss, VERIFY_QUEUE, { ...common, retryLimit: 1, retryDelay: 5 });
}

async function ensureQueue(
  boss: PgBoss,
  name: string,
  options: { policy: 'exclusive'; notify: boolean } & Record<string, number | boolean | string>,
): Promise<void> {
  if ((await boss.getQueue(name)) === null) {
    await boss.createQueue(name, options).catch(async (error: unknown) => {
      // Another process created it meanwhile.
      if ((await boss.getQueue(name)) === null) throw error;
    });
  }
  const { policy: _policy, notify: _notify, ...changeable } = options;
  await boss.updateQueue(name, changeable);
}
