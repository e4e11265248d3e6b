import { formatBytes, restoreBackup, selectBackups, UsageError } from '@tricopy/core';
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
    if (options.json) printJson(result);
    else {
      const where = options.to ?? `database ${options.toDatabase}`;
      printLine(
        `restored backup ${result.backupId} (${result.job}, ${formatBytes(result.size)}, sha256 confirmed) from ${result.destination} into ${where}`,
      );
    }
    return EXIT.ok;
  });
}
