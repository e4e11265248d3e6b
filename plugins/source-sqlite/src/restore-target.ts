import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { SourceError } from '@tricopy/contract';
import { SIDE_FILES } from './files.js';
import { SQLITE_MAGIC } from './header.js';

/** What a path is, for the refusal: `a symbolic link`, `a character device`, ... */
function kindOf(info: Stats): string {
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isDirectory()) return 'a directory';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isFIFO()) return 'a named pipe (fifo)';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The target as it is now, never following a link; undefined when it does not exist. */
async function lstatOrNothing(path: string): Promise<Stats | undefined> {
  return lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}

/** Whether the regular file at `path` is empty or starts with the SQLite header (read without following links). */
async function looksLikeSqlite(path: string, size: number): Promise<boolean> {
  if (size === 0) return true; // SQLite opens an empty file as an empty database
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const head = Buffer.alloc(SQLITE_MAGIC.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(SQLITE_MAGIC);
  } finally {
    await handle.close();
  }
}

/**
 * A restore may only create a file or replace a SQLite database: a symlink, device, fifo, directory or socket at
 * the target is refused (replacing `/dev/null` breaks a machine), and so is a regular file that is not a database.
 */
export async function assertReplaceable(where: string, target: string): Promise<void> {
  for (const file of [target, ...SIDE_FILES.map((suffix) => target + suffix)]) {
    const info = await lstatOrNothing(file);
    if (info !== undefined && !info.isFile()) {
      throw new SourceError(
        `${where}: refusing to restore over ${file}: it is ${kindOf(info)}, not a regular file (restore to a regular file or a new path)`,
      );
    }
  }
  const info = await lstatOrNothing(target);
  if (info !== undefined && !(await looksLikeSqlite(target, info.size))) {
    throw new SourceError(
      `${where}: refusing to replace ${target}: it is not a SQLite database (no SQLite header); restore to another path, or remove it first if it really is to go`,
    );
  }
}
