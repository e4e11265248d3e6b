import type { SFTPWrapper } from './connection.js';
import { isNoSuchFile } from './errors.js';

/** Promise forms of the ssh2 SFTP requests this plugin uses. */

type Attributes = Parameters<Parameters<SFTPWrapper['stat']>[1]>[1];
type DirectoryEntry = Parameters<Parameters<SFTPWrapper['readdir']>[1]>[1][number];

function call<T>(start: (done: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    start((error, value) => (error ? reject(error) : resolve(value as T)));
  });
}

/** Attributes of `path`, or undefined when it does not exist. */
export async function statOrUndefined(sftp: SFTPWrapper, path: string): Promise<Attributes | undefined> {
  try {
    return await call<Attributes>((done) => sftp.stat(path, done));
  } catch (error) {
    if (isNoSuchFile(error)) return undefined;
    throw error;
  }
}

/** Folders tricopy creates are private to the backup user (the server's umask may narrow this further). */
const FOLDER_MODE = 0o700;

function makeFolder(sftp: SFTPWrapper, path: string): Promise<void> {
  return call<void>((done) => sftp.mkdir(path, { mode: FOLDER_MODE }, done));
}

/** The parent folder: '' (the login folder) for a relative name without '/', '/' for a top-level one. */
function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  if (slash === -1) return '';
  return slash === 0 ? '/' : path.slice(0, slash);
}

/**
 * Creates `path` and the folders between it and `root` (0700), tolerant of concurrent creators. The root itself is
 * created only when its parent exists: a missing parent usually means an unmounted volume, and that chain is never
 * created (the local destination's rule). The error for that case says so.
 */
export async function makeFoldersUnder(sftp: SFTPWrapper, root: string, path: string): Promise<void> {
  if (path === '' || path === '/') return;
  const existing = await statOrUndefined(sftp, path);
  if (existing?.isDirectory()) return;
  if (existing !== undefined) throw new Error(`${path} exists and is not a folder`);
  if (path === root || !path.startsWith(`${root}/`)) {
    const parent = parentOf(path);
    if (parent !== '' && !(await statOrUndefined(sftp, parent))?.isDirectory())
      throw new MissingRootError(path, parent);
  } else {
    await makeFoldersUnder(sftp, root, parentOf(path));
  }
  try {
    await makeFolder(sftp, path);
  } catch (error) {
    if ((await statOrUndefined(sftp, path))?.isDirectory()) return;
    throw error;
  }
}

/** The destination's root is missing and so is its parent. */
export class MissingRootError extends Error {
  constructor(
    readonly root: string,
    readonly parent: string,
  ) {
    super(`folder ${root} does not exist and neither does its parent ${parent}`);
    this.name = 'MissingRootError';
  }
}

/** Removes `folder` and then its parents while they are empty, stopping below `root`. */
export async function removeEmptyFolders(sftp: SFTPWrapper, root: string, folder: string): Promise<void> {
  for (let current = folder; current.startsWith(`${root}/`); current = parentOf(current)) {
    try {
      await call<void>((done) => sftp.rmdir(current, done));
    } catch {
      return; // not empty, or gone: either way done
    }
  }
}

export async function removeFile(sftp: SFTPWrapper, path: string): Promise<void> {
  try {
    await call<void>((done) => sftp.unlink(path, done));
  } catch (error) {
    if (!isNoSuchFile(error)) throw error;
  }
}

/** Entries of a folder, or [] when it does not exist. */
export async function readFolder(sftp: SFTPWrapper, path: string): Promise<DirectoryEntry[]> {
  try {
    return await call<DirectoryEntry[]>((done) => sftp.readdir(path, done));
  } catch (error) {
    if (isNoSuchFile(error)) return [];
    throw error;
  }
}

/** Atomic rename that replaces an existing target (OpenSSH's posix-rename@openssh.com extension). */
export function replaceFile(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  return call<void>((done) => sftp.ext_openssh_rename(from, to, done));
}

export function openForReading(sftp: SFTPWrapper, path: string): Promise<Buffer> {
  return call<Buffer>((done) => sftp.open(path, 'r', done));
}

export function closeHandle(sftp: SFTPWrapper, handle: Buffer): Promise<void> {
  return call<void>((done) => sftp.close(handle, done));
}
