import { createJsonLogger, runDaemon } from '@tricopy/core';
import { type GlobalOptions, logLevel, openConfig } from '../context.js';
import { EXIT } from '../exit-codes.js';

/**
 * Runs scheduled jobs in the foreground with JSON log lines on stderr. SIGTERM or SIGINT stops scheduling and aborts
 * running backups (copies are written atomically, so nothing half-written remains under a final name); a second
 * signal exits at once.
 */
export async function daemonCommand(options: GlobalOptions): Promise<number> {
  const config = await openConfig(options);
  const logger = createJsonLogger(logLevel(options), config.redactor);
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      logger.info(`received ${signal}: stopping`, { event: 'signal', signal });
      stop.abort(new Error(`interrupted by ${signal}: the daemon is stopping`));
    } else {
      logger.warn(`received ${signal} again: exiting now`, { event: 'signal', signal });
      process.exit(EXIT.failed);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    logger.info('tricopy daemon started', { event: 'started', config: config.file, pid: process.pid });
    await runDaemon({ config, logger, signal: stop.signal });
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
