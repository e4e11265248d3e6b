import type { TableCount } from '@tricopy/contract';
import type { BackupRow } from '../catalog/catalog.js';
import { baseBackupsOf } from '../copies/base-backup.js';
import { jobWal } from '../copies/job-wal.js';
import { baseReach } from '../copies/recovery-window.js';
import { type AssertionResult, assertionRun } from '../readback/assertions-run.js';
import { backupFacts, decompressed, stageFirstGoodCopy } from '../readback/read-artifact.js';
import { decryptionFor } from '../readback/restore-decrypt.js';
import type { Session } from '../session/session.js';
import { type MarkedPoint, markedPoint } from './restore-point.js';

export interface RestoreTestVerification {
  readonly backupId: string;
  readonly job: string;
  readonly destination?: string;
  readonly status: 'ok' | 'mismatch' | 'failed' | 'error';
  readonly tables: readonly { name: string; expected?: number; actual?: number; exact: boolean }[];
  /** The job's assertions as run on the restored data; one that failed fails the test (status 'failed'). */
  readonly assertions?: readonly AssertionResult[];
  readonly error?: string;
  /**
   * Set when the test replayed the job's WAL to the end of the archive: when the newest WAL file replayed was
   * stored. Its row counts are then reported, not compared (see the comparison in verify).
   */
  readonly replayedTo?: string;
  /** Set when the test replayed the job's WAL to a restore point made on the source with exact row counts. */
  readonly restorePoint?: string;
  /**
   * The row counts are reported, not compared: WAL was replayed to the end of the archive, or the backup (a base
   * backup) recorded none.
   */
  readonly countsOnly?: true;
}

/** Restores into a scratch target through the source plugin and returns its per-table counts. */
export async function restoreTestBackup(
  session: Session,
  backup: BackupRow,
  options: {
    from?: string;
    signal?: AbortSignal;
    /** Told which copy is used once it is chosen, so that a test that fails after can say which copy it read. */
    onCopy?: (destination: string) => void;
    /** The restore_command (tricopy wal-fetch) of a job that archives WAL: the test then replays all of it. */
    walFetchCommand?: (job: string) => string;
  } = {},
): Promise<{
  destination: string;
  tables: readonly TableCount[];
  /** The table counts recorded at backup time (sealed in the manifest of an encrypted backup). */
  expected: readonly TableCount[] | undefined;
  /** The job's assertions, as run on the restored data (none when it has none). */
  assertions: readonly AssertionResult[];
  skipped: readonly { destination: string; reason: string }[];
  /** Set when the test replayed the job's WAL to the end of the archive: when the newest WAL file replayed was stored. */
  replayedTo?: string;
  /** Set when the test replayed the job's WAL to a restore point marked on the source: its name. */
  restorePoint?: string;
}> {
  const source = await session.source(backup.job);
  const walFetchCommand = options.walFetchCommand ?? session.walFetchCommand;
  const replays = source.wal !== undefined && walFetchCommand !== undefined;
  const point = replays ? await markedPoint(session, backup, source.wal, options) : undefined;
  const replay = replays ? await replayPlan(session, backup, walFetchCommand(backup.job)) : undefined;
  const decryption = await decryptionFor(session, backup);
  const { staged, copy, skipped } = await stageFirstGoodCopy(session, backup, options.from, decryption);
  options.onCopy?.(copy.destination);
  try {
    const facts = await backupFacts(backup, decryption, copy.destination);
    const assertions = session.config.jobs.get(backup.job)?.assertions ?? [];
    const { inspect, results } = assertionRun(session, assertions, facts?.assertions);
    const tables = await source.restoreTest(
      await decompressed(session, backup, { staged, copy, decryption }),
      {
        format: backup.format ?? '',
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(inspect === undefined ? {} : { inspect }),
        ...(replay === undefined ? {} : { recovery: recoveryTo(replay.restoreCommand, point) }),
      },
    );
    return {
      destination: copy.destination,
      tables,
      expected: point?.tables ?? facts?.tables,
      assertions: results(source),
      skipped,
      ...(point !== undefined ? { restorePoint: point.name } : {}),
      ...(replay !== undefined && point === undefined ? { replayedTo: replay.reaches } : {}),
    };
  } finally {
    await staged.cleanup();
  }
}

function recoveryTo(restoreCommand: string, point: MarkedPoint | undefined) {
  return point === undefined ? { restoreCommand } : { restoreCommand, targetName: point.name };
}

/**
 * A restore test that replays WAL replays all of it, to the end of the archive. A gap would end the replay there
 * without an error from PostgreSQL, so the WAL must be continuous from the base backup's start first.
 */
async function replayPlan(
  session: Session,
  backup: BackupRow,
  restoreCommand: string,
): Promise<{ restoreCommand: string; reaches: string }> {
  const [base] = baseBackupsOf([backup]);
  if (base === undefined)
    throw new Error(`backup ${backup.id} records no base backup details: its WAL cannot be replayed`);
  const { files, copies } = await jobWal(session.catalog, backup.job);
  const reach = baseReach(base, files, copies);
  if (reach.firstGap !== undefined && reach.firstGap.after !== null) {
    throw new Error(
      `the WAL after backup ${backup.id} has a gap: ${reach.firstGap.missing} has no verified copy (the WAL resumes at ${reach.firstGap.resumesAt})`,
    );
  }
  if (reach.missingHistory.length > 0) {
    throw new Error(`timeline history ${reach.missingHistory.join(', ')} has no verified copy`);
  }
  return { restoreCommand, reaches: reach.latest };
}
