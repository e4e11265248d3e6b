import { stat } from 'node:fs/promises';
import { SourceError, TricopyError } from '@tricopy/contract';

function codeOf(error: unknown): string | undefined {
  return (error as { code?: unknown } | undefined)?.code as string | undefined;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Checks that `path` is a readable file before SQLite gets a chance to report a vague "unable to open".
 * Throws a SourceError naming the file and what to do.
 */
export async function assertDatabaseFile(where: string, path: string): Promise<void> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      throw new SourceError(
        `${where}: ${path} is a folder, not a SQLite database file (set path to the file)`,
      );
    }
  } catch (error) {
    if (TricopyError.isInstance(error)) throw error;
    const code = codeOf(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new SourceError(`${where}: database file ${path} does not exist (check path in the config)`, {
        cause: error,
      });
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new SourceError(
        `${where}: cannot read ${path}: permission denied (run tricopy as a user who can read the file and its folder)`,
        { cause: error },
      );
    }
    throw new SourceError(`${where}: cannot read ${path}: ${messageOf(error)}`, { cause: error });
  }
}

/** Turns an error from better-sqlite3 while reading the live database into a SourceError. */
export function sourceDatabaseError(
  where: string,
  path: string,
  busyTimeoutMs: number,
  error: unknown,
): TricopyError {
  if (TricopyError.isInstance(error)) return error;
  const code = codeOf(error) ?? '';
  const say = (text: string) =>
    new SourceError(`${where}: ${text}`, { cause: error, details: messageOf(error) });
  if (code === 'SQLITE_NOTADB') return say(`${path} is not a SQLite database (check path in the config)`);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return say(
      `${path} stayed locked for longer than busyTimeoutMs (${busyTimeoutMs} ms): a writer holds an exclusive lock (raise busyTimeoutMs, or schedule the backup outside long write transactions)`,
    );
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return say(`${path} is corrupt: ${messageOf(error)} (check it with sqlite3 "PRAGMA integrity_check")`);
  }
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_PERM') ||
    code.startsWith('SQLITE_READONLY')
  ) {
    return say(
      `cannot open ${path}: ${messageOf(error)} (check that tricopy can read the file, and write its folder for a WAL database's -shm file)`,
    );
  }
  if (code === 'SQLITE_FULL' || codeOf(error) === 'ENOSPC') {
    return say(
      `no space left for the snapshot of ${path} (free space in the temp folder or the run's workDir)`,
    );
  }
  return say(`reading ${path} failed: ${messageOf(error)}`);
}
