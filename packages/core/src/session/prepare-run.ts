import { describeError } from '../util/errors.js';
import type { Session } from './session.js';
import { sweepLeftovers } from './sweep.js';

/** Recorded on a backup whose process ended before it finished (found by the next run of its job). */
const INTERRUPTED = 'interrupted: the process ended before the backup finished';

/**
 * The first step of every job run, taken while holding the job's lock (so no other process is writing this job's
 * backups): whatever a run that ended early left behind is settled here. Backups still marked running are marked
 * failed, then `sweepLeftovers` removes temp uploads, manifest-less artifacts and restore-test databases.
 */
export async function prepareJobRun(session: Session, jobName: string): Promise<void> {
  try {
    const interrupted = await session.catalog.failUnfinishedBackups(jobName, INTERRUPTED);
    if (interrupted.length > 0) {
      session.logger.warn(
        `job ${jobName}: marked ${interrupted.length} unfinished backup(s) failed (${INTERRUPTED}): ${interrupted.join(', ')}`,
        { job: jobName },
      );
    }
    await sweepLeftovers(session, jobName);
  } catch (error) {
    // Settling leftovers must never stop the backup itself.
    session.logger.error(
      `job ${jobName}: settling an earlier run failed: ${session.redact(describeError(error))}`,
      { job: jobName },
    );
  }
}
