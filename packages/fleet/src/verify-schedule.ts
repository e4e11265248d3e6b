import type { LoadedConfig } from '@tricopy/core';
import type { PgBoss } from 'pg-boss';
import { VERIFY_QUEUE, VERIFY_TICK_SECONDS, type VerifyRequest } from './queue.js';

/** The one key of the fleet's verification ticks: pg-boss queues at most one per tick across every daemon. */
const TICK_KEY = 'rotation';
const tickOptions = { singletonKey: TICK_KEY, singletonSeconds: VERIFY_TICK_SECONDS };

const request = (config: LoadedConfig): VerifyRequest => ({
  configHash: config.configHash,
  tickSeconds: VERIFY_TICK_SECONDS,
});

const wantsRotation = (config: LoadedConfig) =>
  [...config.jobs.values()].some((job) => job.verifyEvery !== undefined);

/**
 * Makes the queue's verification schedule that of the config: an hourly tick when some job has `verify` windows,
 * none otherwise. Returns whether there is one.
 */
export async function syncVerifySchedule(boss: PgBoss, config: LoadedConfig): Promise<boolean> {
  if (!wantsRotation(config)) {
    for (const schedule of await boss.getSchedules(VERIFY_QUEUE))
      await boss.unschedule(VERIFY_QUEUE, schedule.key);
    return false;
  }
  await boss.schedule(VERIFY_QUEUE, '0 * * * *', request(config), { key: TICK_KEY, ...tickOptions });
  return true;
}

/**
 * Queues a tick now, as the single-machine daemon looks at start; the slot of the hour is shared with the cron's
 * ticks, so daemons started together (or restarted within the hour) queue one between them. Returns whether this
 * call queued it.
 */
export async function queueVerifyTick(boss: PgBoss, config: LoadedConfig): Promise<boolean> {
  if (!wantsRotation(config)) return false;
  return (await boss.send(VERIFY_QUEUE, request(config), tickOptions)) !== null;
}
