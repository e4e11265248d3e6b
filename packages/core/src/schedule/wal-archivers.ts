import type { Logger } from '@tricopy/contract';
import type { LoadedConfig } from '../config/load.js';
import { Session } from '../session/session.js';
import { describeError } from '../util/errors.js';
import { keepArchivingWal } from '../wal/wal-keep.js';
import { caughtUpLine, storedLine } from '../wal/wal-lines.js';

/** The daemon's WAL archivers, one per job whose source archives WAL. */
export interface WalArchivers {
  /** Stops every archiver (each finishes the file in hand) and closes their session. */
  stop(): Promise<void>;
}

/**
 * Starts an archiver for every job of `config` whose source archives WAL (`wal` on a PostgreSQL source), after
 * `previous` (the archivers of the config it replaces) have stopped. Each logs one line per stored file.
 */
export function startWalArchivers(
  config: LoadedConfig,
  logger: Logger,
  signal: AbortSignal,
  previous?: WalArchivers,
): WalArchivers {
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onOuterAbort, { once: true });
  const session = new Session({ config, logger });
  const running = (async () => {
    await previous?.stop();
    const jobs = await walJobs(session);
    await Promise.all(jobs.map((job) => archive(session, job, stop.signal)));
  })();
  return {
    async stop() {
      stop.abort();
      signal.removeEventListener('abort', onOuterAbort);
      await running.catch(() => undefined);
      await session.close();
      await session.closeCatalog();
    },
  };
}

async function archive(session: Session, job: string, signal: AbortSignal): Promise<void> {
  const { logger } = session;
  logger.info(`job ${job}: archiving WAL`, { job, event: 'wal-started' });
  try {
    await keepArchivingWal(session, job, {
      signal,
      onStored: (result) => {
        const line = storedLine(job, result);
        if (result.stored === undefined) logger.warn(line, { job, event: 'wal-failed', wal: result.name });
        else logger.info(line, { job, event: 'wal-stored', wal: result.name });
      },
      onCaughtUp: (result) => logger.info(caughtUpLine(job, result), { job, event: 'wal-caught-up' }),
    });
  } catch (error) {
    logger.error(`job ${job}: WAL archiving stopped: ${session.redact(describeError(error))}`, {
      job,
      event: 'wal-error',
    });
  }
}

/** The jobs whose source archives WAL; a source that cannot be created is left to the backups to report. */
async function walJobs(session: Session): Promise<string[]> {
  const names = [...session.config.jobs.keys()];
  const archiving = await Promise.all(
    names.map(async (name) => (await session.source(name).catch(() => undefined))?.wal !== undefined),
  );
  return names.filter((_, i) => archiving[i]);
}
