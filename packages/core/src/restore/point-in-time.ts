import type { BackupRow } from '../catalog/catalog.js';
import { type BaseBackup, baseBackupsOf } from '../copies/base-backup.js';
import { jobWal } from '../copies/job-wal.js';
import { choosePitrBase, type RecoveryTarget } from '../copies/recovery-target.js';
import type { RecoveryWindow } from '../copies/recovery-window.js';
import type { Session } from '../session/session.js';
import { type RestoreResult, restoreBackup } from './restore.js';

export interface PointInTimeResult extends RestoreResult {
  /** The base backup restored. */
  readonly base: BaseBackup;
  /** The job's recovery window when the restore began. */
  readonly window: RecoveryWindow;
  /** When the newest WAL file of the base's continuous chain was stored: replay cannot go past it. */
  readonly walReaches: string;
  /** The recovery target written (absent with --latest: all WAL is replayed). */
  readonly targetTime?: string;
  /** Said with --latest when replay will stop at a gap. */
  readonly warning?: string;
}

/**
 * Restores a job's base backup into a new data directory set up to recover to `target`: the base is chosen by
 * `choosePitrBase` (its WAL continuous to the target, each file with a verified copy), restored from its cheapest
 * good copy as any backup is, and the source writes the recovery settings: `restoreCommand` (tricopy wal-fetch,
 * which checks every WAL file's hash) and the target time.
 */
export async function restoreToPoint(
  session: Session,
  job: string,
  target: RecoveryTarget,
  options: { directory: string; restoreCommand: string; from?: string; signal?: AbortSignal },
): Promise<PointInTimeResult> {
  session.job(job);
  const backups = await session.catalog.listBackups({ job, statuses: ['ok', 'degraded'] });
  const { files, copies } = await jobWal(session.catalog, job);
  const choice = choosePitrBase(job, baseBackupsOf(backups), files, copies, target);
  const backup = backups.find((b) => b.id === choice.base.backupId) as BackupRow;
  const targetTime = 'time' in target ? target.time.text : undefined;
  const restored = await restoreBackup(
    session,
    backup,
    { directory: options.directory },
    {
      recovery: {
        restoreCommand: options.restoreCommand,
        ...(targetTime === undefined ? {} : { targetTime }),
      },
      ...(options.from === undefined ? {} : { from: options.from }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    },
  );
  return {
    ...restored,
    base: choice.base,
    window: choice.window,
    walReaches: choice.reach.latest,
    ...(targetTime === undefined ? {} : { targetTime }),
    ...(choice.warning === undefined ? {} : { warning: choice.warning }),
  };
}
