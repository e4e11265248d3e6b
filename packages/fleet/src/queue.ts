import type { Logger } from '@tricopy/contract';
import type { LoadedConfig } from '@tricopy/core';
import { PgBoss } from 'pg-boss';
import { catalogOpenError } from './catalog-errors.js';

/** pg-boss keeps the fleet's queue in this schema of the catalog's database. */
export const QUEUE_SCHEMA = 'tricopy_queue';
/** The one queue: a message is one run of one job. */
export const BACKUP_QUEUE = 'tricopy-backup';
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
    await ensureQueue(boss, config.fleet.heartbeatSeconds);
  } catch (error) {
    await boss.stop({ graceful: false }).catch(() => undefined);
    throw catalogOpenError(url, error);
  }
  return boss;
}

/**
 * The queue's policy is `exclusive` keyed by job name: a job queued, waiting for a retry, or running is not queued
 * again. A worker that stops sending heartbeats has its run failed and retried (on whichever worker is free).
 */
async function ensureQueue(boss: PgBoss, heartbeatSeconds: number): Promise<void> {
  const options = {
    policy: 'exclusive' as const,
    notify: true,
    retryLimit: 3,
    retryDelay: 5,
    retryBackoff: true,
    retryDelayMax: 300,
    heartbeatSeconds,
    expireInSeconds: MAX_RUN_SECONDS,
  };
  if ((await boss.getQueue(BACKUP_QUEUE)) === null) {
    await boss.createQueue(BACKUP_QUEUE, options).catch(async (error: unknown) => {
      // Another process created it meanwhile.
      if ((await boss.getQueue(BACKUP_QUEUE)) === null) throw error;
    });
  }
  const { policy: _policy, notify: _notify, ...changeable } = options;
  await boss.updateQueue(BACKUP_QUEUE, changeable);
}
