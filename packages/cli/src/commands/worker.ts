import { createJsonLogger, openCatalog } from '@tricopy/core';
import { type GlobalOptions, logLevel, openConfig } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { requireFleet } from './fleet-config.js';

export interface WorkerCommandOptions extends GlobalOptions {
  concurrency?: number;
}

/**
 * Runs backups (and the ticks of rotating verification) from the fleet's queue in the foreground, JSON log lines on
 * stderr. The first SIGTERM/SIGINT stops taking runs and lets the running ones finish; a second one stops those too
 * and hands them back to the queue.
 */
export async function workerCommand(options: WorkerCommandOptions): Promise<number> {
  const config = requireFleet(await openConfig(options), 'worker');
  const logger = createJsonLogger(logLevel(options), config.redactor);
  const stop = new AbortController();
  const handBack = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      logger.info(`received ${signal}: finishing the running backups (again: hand them back)`, {
        event: 'signal',
        signal,
      });
      stop.abort();
    } else if (!handBack.signal.aborted) {
      logger.warn(`received ${signal} again: handing the running backups back to the queue`, {
        event: 'signal',
        signal,
      });
      handBack.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const catalog = openCatalog(config, () => new Date());
  try {
    // Loaded here: pg-boss takes a while to load, and only fleet commands need it.
    const { runWorker } = await import('@tricopy/fleet');
    await runWorker({
      config,
      catalog,
      logger,
      concurrency: options.concurrency ?? config.concurrency,
      stop: stop.signal,
      handBack: handBack.signal,
    });
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await catalog.close();
  }
}
