import { type DaemonControl, type DaemonOptions, describeError, type LoadedConfig } from '@tricopy/core';
import { startQueue } from './queue.js';
import { syncSchedules } from './schedules.js';
import { queueVerifyTick, syncVerifySchedule } from './verify-schedule.js';

/**
 * The daemon of a fleet: it runs nothing itself, it keeps the queue's schedules those of the config, and pg-boss
 * (in every daemon) queues each scheduled run, and each hourly tick of rotating verification, once across all of
 * them; the workers run them. Runs until `signal`.
 */
export async function runFleetDaemon(options: DaemonOptions): Promise<void> {
  const { logger } = options;
  let config: LoadedConfig = options.config;
  const boss = await startQueue(config, 'daemon', logger);
  try {
    const scheduled = await syncSchedules(boss, config);
    logger.info(
      `fleet daemon: ${scheduled.length} job(s) scheduled into the queue: ${scheduled.join(', ')}`,
      {
        event: 'scheduled',
        jobs: scheduled,
      },
    );
    if (await syncVerifySchedule(boss, config)) {
      const queued = await queueVerifyTick(boss, config);
      logger.info(
        `fleet daemon: rotating verification scheduled hourly into the queue${queued ? '; a first tick queued now' : ''}`,
        { event: 'verify-scheduled', queued },
      );
    }
    let syncing = Promise.resolve();
    const control: DaemonControl = {
      reload(next) {
        config = next;
        syncing = syncing
          .then(async () => {
            await syncVerifySchedule(boss, config);
            return syncSchedules(boss, config);
          })
          .then(
            (jobs) =>
              logger.info(`fleet daemon: schedules updated (${jobs.join(', ')})`, {
                event: 'scheduled',
                jobs,
              }),
            (error: unknown) =>
              logger.error(
                `fleet daemon: updating the schedules failed: ${config.redactor.redact(describeError(error))}`,
              ),
          );
      },
    };
    options.onReady?.(control);
    if (!options.signal.aborted)
      await new Promise((resolve) => options.signal.addEventListener('abort', resolve, { once: true }));
    await syncing;
  } finally {
    await boss.stop({ graceful: false });
  }
}
