import type { LoadedConfig } from '@tricopy/core';
import type { PgBoss } from 'pg-boss';
import { BACKUP_QUEUE, type RunRequest } from './queue.js';

/**
 * Makes the queue's schedules those of the config: one per job with a `schedule`, keyed by job name (pg-boss fires
 * each once across every daemon), none for jobs without one. Returns the jobs scheduled.
 */
export async function syncSchedules(boss: PgBoss, config: LoadedConfig): Promise<string[]> {
  const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const wanted = [...config.jobs.values()].filter((job) => job.schedule !== undefined);
  for (const job of wanted) {
    const request: RunRequest = { job: job.name, configHash: config.configHash, by: 'schedule' };
    await boss.schedule(BACKUP_QUEUE, job.schedule as string, request, {
      key: job.name,
      singletonKey: job.name,
      tz: job.timezone ?? localZone,
    });
  }
  const names = new Set(wanted.map((job) => job.name));
  for (const schedule of await boss.getSchedules(BACKUP_QUEUE))
    if (!names.has(schedule.key)) await boss.unschedule(BACKUP_QUEUE, schedule.key);
  return [...names];
}
