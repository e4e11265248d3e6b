import type { WalCopyRow, WalSegmentRow } from '../catalog/catalog.js';
import { oldestBase } from '../copies/base-backup.js';
import { jobBases, jobWal } from '../copies/job-wal.js';
import { walSegmentSize } from '../copies/wal-chain.js';
import { segmentNumber } from '../copies/wal-names.js';
import type { Session } from '../session/session.js';
import { describeError } from '../util/errors.js';

export interface WalPrune {
  /** The oldest segment kept: the oldest retained base backup's start. Absent when nothing was pruned (skipped). */
  readonly keptFrom?: string;
  /** Why no WAL was pruned, when none was. */
  readonly skipped?: string;
  /** Segments removed from every destination and forgotten (would be, in a dry run). */
  readonly removed: readonly string[];
  /** Copies that could not be removed (left for the next prune), with why. */
  readonly errors: readonly string[];
}

/**
 * Removes the WAL no retained base backup needs: segments before the oldest retained base backup's start segment.
 * Run after the job's backups were pruned, so a base backup still kept anywhere keeps its WAL. A segment's copies
 * are marked missing (they no longer count) before any object is deleted, and each deleted once it is gone; the
 * segment is forgotten only when every copy is gone. A copy that fails is reported and left for the next prune.
 * History files are kept (tiny; replay across timelines needs them).
 */
export async function pruneWal(session: Session, job: string, dryRun: boolean): Promise<WalPrune> {
  const oldest = oldestBase(await jobBases(session.catalog, job));
  if (oldest === undefined)
    return { skipped: 'no base backup retained: WAL is kept', removed: [], errors: [] };
  const { files, copies } = await jobWal(session.catalog, job);
  const size = walSegmentSize(files);
  const cut = segmentNumber(oldest.startWal, size) as number;
  const old = files.filter((f) => f.kind === 'segment' && (segmentNumber(f.name, size) ?? cut) < cut);
  const removed: string[] = [];
  const errors: string[] = [];
  for (const file of old) {
    const mine = copies.filter((c) => c.name === file.name);
    if (dryRun) {
      removed.push(file.name);
      continue;
    }
    const failures = await removeWalCopies(session, job, file, mine);
    errors.push(...failures);
    if (failures.length > 0) continue;
    await session.catalog.deleteWalSegment(job, file.name);
    removed.push(file.name);
  }
  if (removed.length > 0)
    session.logger.info(`pruned ${removed.length} WAL segment(s) of job ${job} before ${oldest.startWal}`);
  return { keptFrom: oldest.startWal, removed, errors };
}

/**
 * Removes each copy of `file` still recorded; returns why some could not be. Every copy is marked missing before
 * the first is deleted: the archiver's catch-up then has no verified copy left to write the file again from.
 */
async function removeWalCopies(
  session: Session,
  job: string,
  file: WalSegmentRow,
  copies: readonly WalCopyRow[],
): Promise<string[]> {
  const errors: string[] = [];
  const left = copies.filter((copy) => copy.status !== 'deleted');
  const known = left.filter((copy) => session.config.destinations.has(copy.destination));
  for (const copy of left.filter((c) => !known.includes(c))) {
    errors.push(
      `${file.name} on ${copy.destination}: the destination is no longer in the config; left alone`,
    );
  }
  for (const { destination } of known) {
    await session.catalog.recordWalCopy({
      job,
      name: file.name,
      destination,
      status: 'missing',
      error: 'being pruned',
    });
  }
  for (const { destination: name } of known) {
    try {
      const destination = await session.destination(name);
      await destination.delete(file.key);
      if ((await destination.stat(file.key)) !== undefined)
        throw new Error(`${file.key} is still there after delete`);
      await session.catalog.recordWalCopy({ job, name: file.name, destination: name, status: 'deleted' });
    } catch (error) {
      const message = `${file.name} on ${name}: ${session.redact(describeError(error))}`;
      session.logger.error(`prune WAL of ${job}: ${message}`);
      errors.push(message);
    }
  }
  return errors;
}
