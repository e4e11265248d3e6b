import type { Logger } from '@tricopy/contract';
import {
  createJsonLogger,
  type DaemonControl,
  describeError,
  type LoadedConfig,
  Redactor,
  runDaemon,
  Session,
} from '@tricopy/core';
import { type GlobalOptions, logLevel, openConfig, restorePaths } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { restoreCommandLine } from '../restore-command-line.js';
import { type ServeOptions, type StatusService, startStatusService } from '../serve/status-service.js';

/**
 * Runs scheduled jobs in the foreground with JSON log lines on stderr. SIGTERM or SIGINT stops scheduling and aborts
 * running backups (copies are written atomically, so nothing half-written remains under a final name); a second
 * signal exits at once. SIGHUP reloads the config (and `--env-file`); an invalid one is logged and the current one
 * kept.
 */
export async function daemonCommand(options: GlobalOptions & ServeOptions): Promise<number> {
  const config = await openConfig(options);
  const redactor = new EveryConfigRedactor(config.redactor);
  const logger = createJsonLogger(logLevel(options), redactor);
  let served: Session | undefined;
  const serve = async (next: LoadedConfig) => {
    const previous = served;
    served = new Session({ config: next, logger });
    await previous?.closeCatalog();
  };
  let status: StatusService | undefined;
  if (options.listen !== undefined) {
    await serve(config);
    status = await startStatusService(
      { ...options, listen: options.listen },
      () => served as Session,
      logger,
      (text) => redactor.redact(text),
    );
  }
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
  let control: DaemonControl | undefined;
  const onHangup = () => {
    logger.info(`received SIGHUP: reloading ${config.file}`, { event: 'signal', signal: 'SIGHUP' });
    if (control !== undefined)
      void reload(control, {
        options,
        logger,
        redactor,
        ...(served === undefined ? {} : { serve }),
      });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onHangup);
  try {
    logger.info('tricopy daemon started', { event: 'started', config: config.file, pid: process.pid });
    // With a PostgreSQL catalog the daemon only queues the scheduled runs; the workers run them.
    const run = config.catalogUrl === undefined ? runDaemon : (await import('@tricopy/fleet')).runFleetDaemon;
    await run({
      config,
      logger,
      signal: stop.signal,
      walFetchCommand: (job) => restoreCommandLine(job, restorePaths(options)),
      onReady: (c) => {
        control = c;
      },
    });
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onHangup);
    await status?.stop();
    await served?.closeCatalog();
  }
}

/** What a reload reads the config with, and who hears of the new one. */
interface Reloading {
  readonly options: GlobalOptions;
  readonly logger: Logger;
  readonly redactor: EveryConfigRedactor;
  /** Restarts the dashboard server, when the daemon serves one, on the new config. */
  readonly serve?: (config: LoadedConfig) => Promise<void>;
}

/** Loads the config again and applies it; never throws (the daemon keeps running on the config it has). */
async function reload(
  control: DaemonControl,
  { options, logger, redactor, serve }: Reloading,
): Promise<void> {
  try {
    const next = await openConfig(options);
    redactor.include(next.redactor);
    control.reload(next);
    await serve?.(next);
    logger.info(`reloaded ${next.file}`, { event: 'reloaded', config: next.file });
  } catch (error) {
    logger.error(`reload failed, keeping the current config: ${describeError(error)}`, {
      event: 'reload-failed',
    });
  }
}

/** Redacts the secrets of every config the daemon has loaded: backups started before a reload may still log. */
class EveryConfigRedactor extends Redactor {
  readonly #redactors: Redactor[];
  constructor(first: Redactor) {
    super();
    this.#redactors = [first];
  }
  include(redactor: Redactor): void {
    this.#redactors.push(redactor);
  }
  override redact(text: string): string {
    return this.#redactors.reduce((out, r) => r.redact(out), text);
  }
}
