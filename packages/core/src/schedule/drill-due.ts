import type { Logger } from '@tricopy/contract';
import type { Catalog } from '../catalog/catalog.js';
import type { JobSpec } from '../config/load.js';
import type { Session } from '../session/session.js';
import { nextRuns } from '../util/cron.js';
import { describeError } from '../util/errors.js';
import { drillJob } from './drill.js';

/**
 * Whether the job's scheduled drill is due at `now`: its schedule has fired since the last drill (of any backup),
 * or there has been none. Pure but for the dates.
 */
export function drillDue(job: JobSpec, lastDrillAt: Date | null, now: Date): boolean {
  const schedule = job.drill?.schedule;
  if (schedule === undefined) return false;
  if (lastDrillAt === null) return true;
  const [next] = nextRuns(schedule, job.timezone, lastDrillAt, 1);
  return next !== undefined && next.getTime() <= now.getTime();
}

async function lastDrillAt(catalog: Catalog, job: string): Promise<Date | null> {
  let last: number | null = null;
  for (const backup of await catalog.listBackups({ job })) {
    for (const v of await catalog.listVerifications(backup.id))
      if (v.level === 'drill') last = Math.max(last ?? 0, Date.parse(v.checkedAt));
  }
  return last === null ? null : new Date(last);
}

/** The daemon's tick: runs the job's drill when it is due (under the job's lock, held by the caller). Never throws. */
export async function drillIfDue(
  session: Session,
  job: JobSpec,
  options: { logger: Logger; signal: AbortSignal },
): Promise<void> {
  const { logger, signal } = options;
  try {
    if (!drillDue(job, await lastDrillAt(session.catalog, job.name), session.now())) return;
    const result = await drillJob(session, job.name, { signal });
    const fields = { job: job.name, event: 'drill', backupId: result.backupId, ok: result.status === 'ok' };
    if (result.status === 'ok') logger.info(`job ${job.name}: drill into ${result.target}: ok`, fields);
    else logger.error(`job ${job.name}: drill into ${result.target}: FAILED: ${result.error}`, fields);
  } catch (error) {
    if (!signal.aborted)
      logger.error(`job ${job.name}: drill: ${describeError(error)}`, {
        job: job.name,
        event: 'drill-error',
      });
  }
}
