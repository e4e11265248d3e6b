import {
  type BackupRow,
  formatBytes,
  restoreBackup,
  type Session,
  selectBackups,
  UsageError,
} from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { interruptible } from '../interruptible.js';
import { printJson, printLine } from '../output.js';

export interface RestoreOptions extends GlobalOptions {
  latest?: boolean;
  job?: string;
  to?: string;
  toDatabase?: string;
  createDatabase?: boolean;
  force?: boolean;
  from?: string;
}

export async function restoreCommand(backupId: string | undefined, options: RestoreOptions): Promise<number> {
  if (options.to === undefined && options.toDatabase === undefined) {
    throw new UsageError(
      'say where to restore: --to PATH (SQLite) or --to-database NAME (PostgreSQL, MySQL)',
    );
  }
  if (backupId === undefined && !options.latest)
    throw new UsageError('say which backup: a backup id or --latest');
  if (backupId === undefined && options.job === undefined) {
    throw new UsageError('--latest needs --job JOB (which job to restore)');
  }
  return withSession(options, async (session) => {
    const [backup] = selectBackups(session, {
      ...(backupId === undefined ? { latest: true } : { backupId }),
      ...(options.job === undefined ? {} : { job: options.job }),
    });
    if (backup === undefined) throw new UsageError(`job ${options.job} has no backup with a good copy`);
    warnIfFlagged(session, backup);
    // Ctrl-C / SIGTERM stop the restore tool, so the plugin can drop what it created and remove its password file.
    const result = await interruptible('the restore', (signal) =>
      restoreBackup(
        session,
        backup,
        {
          ...(options.to === undefined ? {} : { path: options.to }),
          ...(options.toDatabase === undefined ? {} : { database: options.toDatabase }),
          ...(options.createDatabase ? { createDatabase: true } : {}),
          ...(options.force ? { force: true } : {}),
        },
        { ...(options.from === undefined ? {} : { from: options.from }), signal },
      ),
    );
    const flagged = backup.confirmedAt === null ? backup.flagged : null;
    if (options.json) printJson({ ...result, flagged });
    else {
      const where = options.to ?? `database ${options.toDatabase}`;
      printLine(
        `restored backup ${result.backupId} (${result.job}, ${formatBytes(result.size)}, sha256 confirmed) from ${result.destination} into ${where}` +
          (flagged === null ? '' : ` (flagged as suspiciously small: ${flagged})`),
      );
    }
    return EXIT.ok;
  });
}

/** A backup flagged as suspiciously small and not confirmed may be an emptied database: say so before restoring it. */
function warnIfFlagged(session: Session, backup: BackupRow): void {
  if (backup.flagged === null || backup.confirmedAt !== null) return;
  const older = session.catalog
    .listBackups({ job: backup.job, statuses: ['ok', 'degraded'] })
    .find((b) => b.startedAt < backup.startedAt && b.flagged === null && b.prunedAt === null);
  session.logger.warn(
    `backup ${backup.id} is flagged as suspiciously small (${backup.flagged}): it may hold an emptied database` +
      (older === undefined ? '' : `; the newest unflagged backup of job ${backup.job} is ${older.id}`),
  );
}
