import type { TableCount, WalArchiving } from '@tricopy/contract';
import type { BackupRow } from '../catalog/catalog.js';
import type { Session } from '../session/session.js';
import { describeError } from '../util/errors.js';

/** How long a restore test waits for the archiver to store the WAL file holding its restore point. */
export const RESTORE_POINT_WAIT_MS = 300_000;

export interface MarkedPoint {
  readonly name: string;
  /** The rows of every table at the point, counted on the source. */
  readonly tables: readonly TableCount[];
}

/**
 * A restore point for a restore test that replays WAL: marked on the source with its exact row counts, and awaited
 * until the archiver has stored the WAL file that holds it. Undefined when the source cannot mark one (no
 * markRestorePoint, or the role may not): the test then replays to the end of the archive and only reports counts.
 */
export async function markedPoint(
  session: Session,
  backup: BackupRow,
  wal: WalArchiving,
  options: { signal?: AbortSignal; waitMs?: number } = {},
): Promise<MarkedPoint | undefined> {
  if (wal.markRestorePoint === undefined) return undefined;
  const name = `tricopy-restore-test-${backup.id}-${Date.now()}`;
  let mark: Awaited<ReturnType<NonNullable<WalArchiving['markRestorePoint']>>>;
  try {
    mark = await wal.markRestorePoint(name);
  } catch (error) {
    session.logger.warn(
      `restore test of job ${backup.job}: no restore point could be made (${session.redact(describeError(error))}); the WAL is replayed to the end of the archive and row counts are reported, not compared`,
    );
    return undefined;
  }
  await walFileStored(session, backup.job, mark.wal, options);
  return { name, tables: mark.tables };
}

async function walFileStored(
  session: Session,
  job: string,
  name: string,
  options: { signal?: AbortSignal; waitMs?: number },
): Promise<void> {
  const deadline = Date.now() + (options.waitMs ?? RESTORE_POINT_WAIT_MS);
  for (;;) {
    options.signal?.throwIfAborted();
    const copies = await session.catalog.walCopies(job, [name]);
    if (copies.some((copy) => copy.status === 'verified')) return;
    if (Date.now() > deadline) {
      throw new Error(
        `WAL file ${name}, which holds the restore test's restore point, was not stored within ${Math.round((options.waitMs ?? RESTORE_POINT_WAIT_MS) / 1000)} s: is \`tricopy wal ${job}\` (or the daemon) running?`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
