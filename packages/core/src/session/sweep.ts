import type { Destination, SweepOptions } from '@tricopy/contract';
import { copyCounts } from '../copies/copy-state.js';
import { MANIFEST_NAME } from '../manifest/manifest.js';
import { describeError } from '../util/errors.js';
import type { Session } from './session.js';

/**
 * A temporary upload nobody has written for this long belongs to no live run, whoever started it: a run's dump
 * reaches its destinations continuously (a destination that takes nothing for `stallTimeout`, 10 minutes by
 * default, is given up on), so only a source that produces nothing for a week could keep a live upload this still.
 * S3 records only when a multipart upload began: there it bounds the whole upload.
 */
export const FOREIGN_LEFTOVER_AGE_MS = 7 * 24 * 3_600_000;

/**
 * Removes what killed runs of `job` left on its destinations: temporary uploads and unfinished multipart uploads
 * (through each destination's optional `sweep`), the artifacts without a manifest of backups the catalog has as
 * failed, or whose copy on that destination it has as failed (never listed, restored or pruned otherwise), and its
 * source's abandoned restore-test databases. Only for a caller holding the job's lock, before its backup starts: then
 * no run of this catalog is writing the job. Another config (its own catalog and locks) may be writing the same
 * folders, so temporary uploads go only when provably dead: see `leftoverRule`. It never fails the job: what it
 * cannot remove is logged.
 */
export async function sweepLeftovers(session: Session, job: string): Promise<void> {
  const olderThan = session.now();
  const rule = await leftoverRule(session, job);
  await Promise.all([
    sweepSource(session, job, olderThan),
    ...session.job(job).destinations.map(async (name) => {
      try {
        const destination = await session.destination(name);
        const removed = [
          ...((await destination.sweep?.(`${job}/`, rule)) ?? []),
          ...(await removeUnrecordedArtifacts(session, { job, name, destination, olderThan })),
        ];
        for (const what of removed)
          session.logger.info(`job ${job}: removed what an interrupted run left on "${name}": ${what}`, {
            job,
          });
      } catch (error) {
        session.logger.warn(
          `job ${job}: could not clean up after interrupted runs on destination "${name}": ${session.redact(describeError(error))}`,
          { job },
        );
      }
    }),
  ]);
}

/**
 * A temporary upload is provably dead when it lies in the folder of one of this catalog's own backups of the job
 * (the caller holds the job's lock, so none of them is running), or when nothing has written it for
 * FOREIGN_LEFTOVER_AGE: longer than any run of another config or host can leave its upload untouched.
 */
async function leftoverRule(session: Session, job: string): Promise<SweepOptions> {
  const own = new Set((await session.catalog.listBackups({ job })).map((backup) => `${job}/${backup.id}/`));
  return {
    olderThan: new Date(session.now().getTime() - FOREIGN_LEFTOVER_AGE_MS),
    abandoned: (folder) => own.has(folder),
  };
}

/** Restore-test databases of killed restore tests (sources that have them implement `sweep`). */
async function sweepSource(session: Session, job: string, olderThan: Date): Promise<void> {
  try {
    const source = await session.source(job);
    for (const what of (await source.sweep?.({ olderThan })) ?? [])
      session.logger.info(`job ${job}: removed what an interrupted run left: ${what}`, { job });
  } catch (error) {
    session.logger.warn(
      `job ${job}: could not clean up after interrupted restore tests: ${session.redact(describeError(error))}`,
      { job },
    );
  }
}

/** Backups of `job` that failed, or whose copy on destination `name` failed: their bytes there may be orphans. */
async function failedOn(session: Session, job: string, name: string): Promise<string[]> {
  const ids: string[] = [];
  for (const backup of await session.catalog.listBackups({ job, statuses: ['failed', 'degraded'] })) {
    const copies = await session.catalog.listCopies(backup.id);
    if (backup.status === 'failed' || copies.some((c) => c.destination === name && c.status === 'failed'))
      ids.push(backup.id);
  }
  return ids;
}

/** One destination `name` of `job` being swept of what runs interrupted before `olderThan` left. */
interface SweptDestination {
  readonly job: string;
  readonly name: string;
  readonly destination: Destination;
  readonly olderThan: Date;
}

/** Objects under `job/<id>/` of a backup failed there that has no manifest there and no verified copy recorded there. */
async function removeUnrecordedArtifacts(
  session: Session,
  { job, name, destination, olderThan }: SweptDestination,
): Promise<string[]> {
  const removed: string[] = [];
  for (const id of await failedOn(session, job, name)) {
    const copy = (await session.catalog.listCopies(id)).find((row) => row.destination === name);
    if (copy !== undefined && copyCounts(copy)) continue;
    const keys = await orphanKeys(destination, `${job}/${id}/`, olderThan);
    for (const key of keys) {
      await destination.delete(key);
      removed.push(`${destination.locate(key)} (backup ${id} failed there; no manifest)`);
    }
    if (keys.length > 0 && copy !== undefined)
      await session.catalog.setCopyStatus(id, name, 'deleted', copy.error ?? undefined);
  }
  return removed;
}

/** The keys under `folder` older than `olderThan`, unless a manifest sits there (then nothing is an orphan). */
async function orphanKeys(destination: Destination, folder: string, olderThan: Date): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of destination.list(folder)) {
    if (object.key === `${folder}${MANIFEST_NAME}`) return [];
    if (object.modifiedAt === undefined || object.modifiedAt < olderThan) keys.push(object.key);
  }
  return keys;
}
