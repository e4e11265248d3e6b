import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * open(2) flags for a file tricopy creates: a new file made here or nothing (O_EXCL fails on anything already
 * there, a symlink included), never through a symlink (O_NOFOLLOW).
 */
export const EXCLUSIVE_WRITE =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/** EXCLUSIVE_WRITE, opened for reading as well. */
export const EXCLUSIVE_READ_WRITE = (EXCLUSIVE_WRITE & ~constants.O_WRONLY) | constants.O_RDWR;

/** Creates `path` as a new file (mode `mode`, whatever the umask) and opens it for writing. */
export async function openExclusive(
  path: string,
  mode = 0o600,
  flags = EXCLUSIVE_WRITE,
): Promise<FileHandle> {
  const handle = await open(path, flags, mode);
  try {
    await handle.chmod(mode);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

/** A hidden, random, not-yet-existing name in the folder of `path` (a rename from it to `path` is atomic). */
export function tempPathBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.tricopy-${randomBytes(8).toString('hex')}.tmp`);
}

/** Writes `data` to the new file `path`, fsynced; fails with EEXIST when anything (even a dangling symlink) is there. */
export async function createFileExclusive(
  path: string,
  data: string | Uint8Array,
  mode = 0o600,
): Promise<void> {
  const handle = await openExclusive(path, mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with a file holding `data`: written to a new temporary file beside it (created exclusively,
 * never through a symlink), then renamed over it. A symlink at `path` is replaced, never followed; a reader never
 * sees half a file.
 */
export async function writeFileBeside(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const temp = tempPathBeside(path);
  try {
    await createFileExclusive(temp, data, mode);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
