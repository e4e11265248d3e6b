import { setTimeout as sleep } from 'node:timers/promises';
import { acquireJobLock } from '../locks/job-lock.js';
import type { Session } from '../session/session.js';
import { ConfigError, describeError, UsageError } from '../util/errors.js';
import { archiveWal, type WalArchiverOptions } from './wal-archiver.js';
import { walFolders } from './wal-context.js';

/** Waits between restarts of a failed receiver: doubling from the first, up to the last. */
export const RESTART_DELAYS_MS = { first: 1000, max: 60_000 } as const;

/**
 * Runs the job's WAL archiver until `signal` stops it, holding the archiver's lock (one per job on this machine): a
 * receiver that fails (the server restarted, the network broke) is started again after a delay that doubles up to a
 * minute, each failure one warning. A config problem (the job archives no WAL) is thrown at once.
 */
export async function keepArchivingWal(
  session: Session,
  jobName: string,
  options: WalArchiverOptions,
): Promise<void> {
  session.job(jobName);
  const folders = await walFolders(session, jobName);
  const attempt = await acquireJobLock(folders.lock, jobName, session.now(), 'archive');
  if (!attempt.acquired) throw new UsageError(attempt.message);
  try {
    let delay: number = RESTART_DELAYS_MS.first;
    while (!options.signal.aborted) {
      const started = Date.now();
      try {
        await archiveWal(session, jobName, folders, options);
      } catch (error) {
        if (error instanceof UsageError || error instanceof ConfigError || options.signal.aborted)
          throw error;
        if (Date.now() - started > RESTART_DELAYS_MS.max) delay = RESTART_DELAYS_MS.first;
        session.logger.warn(
          `job ${jobName}: WAL archiving stopped: ${session.redact(describeError(error))}; starting again in ${Math.round(delay / 1000)} s`,
        );
        await sleep(delay, undefined, { signal: options.signal }).catch(() => undefined);
        delay = Math.min(delay * 2, RESTART_DELAYS_MS.max);
      }
    }
  } finally {
    await attempt.lock.release();
  }
}
