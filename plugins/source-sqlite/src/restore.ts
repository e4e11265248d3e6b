import { chmod, chown, link, lstat, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { SourceError, type TableCount, TricopyError } from '@tricopy/contract';
import { fsyncDir } from '@tricopy/plugin-support';
import Database from 'better-sqlite3';
import { removeDatabaseFiles, SIDE_FILES, writeNewFile } from './files.js';
import { readSqliteHeader } from './header.js';
import { countTables, integrityCheck } from './inspect.js';
import { assertReplaceable } from './restore-target.js';
import { messageOf } from './sqlite-errors.js';
import { removeDeadStaging, stagingPath } from './staging.js';

export interface RestoreFileRequest {
  readonly where: string;
  /** Absolute path of the database file to create. */
  readonly target: string;
  readonly force: boolean;
  readonly signal?: AbortSignal;
  /** Told what killed restores left beside the target and this restore removed. */
  readonly report?: (message: string) => void;
}

/**
 * Refuses, before anything is written, a target whose folder is missing, that exists without force, or that force
 * may not replace (anything but a regular file holding a SQLite database).
 */
export async function checkFileTarget(where: string, target: string, force: boolean): Promise<void> {
  await requireFolder(where, dirname(target));
  if (force) await assertReplaceable(where, target);
  else await refuseExisting(where, target);
}

/**
 * Writes a `sqlite-database` dump beside the target, checks it is a whole, sound SQLite database, then moves it
 * into place in one step. The target name never holds a partial file. Returns the restored tables' row counts.
 */
export async function restoreFile(input: Readable, request: RestoreFileRequest): Promise<TableCount[]> {
  const { where, target, force, signal } = request;
  const dir = dirname(target);
  const temp = stagingPath(target);
  try {
    signal?.throwIfAborted();
    await checkFileTarget(where, target, force);
    for (const file of await removeDeadStaging(target))
      request.report?.(`${where}: removed ${file}, left by a restore that was killed`);
    const size = await writeNewFile(input, temp, signal);
    await verifyHeader(where, temp, size);
    const tables = verifyRestored(where, temp);
    await Promise.all(SIDE_FILES.map((suffix) => rm(temp + suffix, { force: true })));
    signal?.throwIfAborted();
    if (force) {
      await assertReplaceable(where, target); // what it is now, not what it was before the download
      await keepOwnerAndMode(where, target, temp);
      // A stale WAL or journal beside the old file would be replayed into the new one.
      await Promise.all(SIDE_FILES.map((suffix) => rm(target + suffix, { force: true })));
      await rename(temp, target);
    } else {
      await link(temp, target); // fails if the target appeared meanwhile; never overwrites
      await rm(temp);
    }
    await fsyncDir(dir);
    return tables;
  } catch (error) {
    await removeDatabaseFiles(temp).catch(() => {});
    throw restoreError(where, target, error, signal);
  }
}

/**
 * The replaced database keeps the owner, group and mode of the file it replaces: the application that opens it
 * (often another user) must still be able to. Refuses (before replacing anything) if they cannot be kept.
 */
async function keepOwnerAndMode(where: string, target: string, temp: string): Promise<void> {
  const old = await stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (old === undefined) return;
  const mine = await stat(temp);
  if (mine.uid !== old.uid || mine.gid !== old.gid) {
    try {
      await chown(temp, old.uid, old.gid);
    } catch (error) {
      throw new SourceError(
        `${where}: refusing to replace ${target}: cannot give the restored file its owner ${old.uid}:${old.gid} (${messageOf(error)}); restore as root or as that user, or to another path`,
        { cause: error },
      );
    }
  }
  await chmod(temp, old.mode & 0o7777);
}

/** A missing folder is refused, never created: a typo or an unmounted volume must not get a new tree. */
async function requireFolder(where: string, dir: string): Promise<void> {
  const isFolder = await stat(dir).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (!isFolder) {
    throw new SourceError(
      `${where}: the folder ${dir} does not exist (create it first, or choose another target)`,
    );
  }
}

async function refuseExisting(where: string, target: string): Promise<void> {
  for (const file of [target, ...SIDE_FILES.map((suffix) => target + suffix)]) {
    const exists = await lstat(file).then(
      () => true,
      () => false,
    );
    if (exists) {
      throw new SourceError(
        `${where}: refusing to restore over ${file}: it already exists (use force to replace it, or choose another target)`,
      );
    }
  }
}

async function verifyHeader(where: string, file: string, size: number): Promise<void> {
  if (size === 0) throw new SourceError(`${where}: the dump is empty (0 bytes): not a SQLite database`);
  const header = await readSqliteHeader(file);
  if (!header) {
    throw new SourceError(
      `${where}: the dump is not a valid SQLite database (no SQLite header): is it the right artifact, fully decompressed?`,
    );
  }
  const expected = header.pageCount === undefined ? undefined : header.pageCount * header.pageSize;
  if (size % header.pageSize !== 0 || (expected !== undefined && expected !== size)) {
    throw new SourceError(
      `${where}: the dump is truncated or padded: ${size} bytes, but its header describes ${header.pageCount ?? '?'} pages of ${header.pageSize} bytes`,
    );
  }
}

function verifyRestored(where: string, file: string): TableCount[] {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true });
    const problems = integrityCheck(db);
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new SourceError(
        `${where}: the restored database fails integrity_check: ${problems.slice(0, 3).join('; ')}`,
        {
          details: problems.join('\n'),
        },
      );
    }
    return countTables(db);
  } catch (error) {
    if (TricopyError.isInstance(error)) throw error;
    const code = String((error as { code?: unknown }).code ?? '');
    if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
      throw new SourceError(
        `${where}: the dump is not a valid SQLite database (${messageOf(error)}): is it the right artifact, fully decompressed?`,
        { cause: error },
      );
    }
    throw new SourceError(`${where}: cannot open the restored database: ${messageOf(error)}`, {
      cause: error,
    });
  } finally {
    db?.close();
  }
}

function restoreError(where: string, target: string, error: unknown, signal?: AbortSignal): TricopyError {
  if (TricopyError.isInstance(error)) return error;
  if (signal?.aborted)
    return new SourceError(`${where}: the restore to ${target} was aborted`, { cause: signal.reason });
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EEXIST') {
    return new SourceError(`${where}: refusing to restore over ${target}: it appeared during the restore`, {
      cause: error,
    });
  }
  if (code === 'ENOSPC') {
    return new SourceError(`${where}: no space left to restore ${target} (free space on its disk)`, {
      cause: error,
    });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new SourceError(
      `${where}: cannot write ${dirname(target)}: ${messageOf(error)} (choose a writable target)`,
      {
        cause: error,
      },
    );
  }
  return new SourceError(`${where}: restoring ${target} failed: ${messageOf(error)}`, { cause: error });
}
