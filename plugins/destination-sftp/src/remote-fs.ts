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

/** `mkdir -p`, tolerant of concurrent creators. */
export async function makeFolders(sftp: SFTPWrapper, path: string): Promise<void> {
  const existing = await statOrUndefined(sftp, path);
  if (existing?.isDirectory()) return;
  if (existing !== undefined) throw new Error(`${path} exists and is not a folder`);
  const parent = path.slice(0, path.lastIndexOf('/'));
  if (parent !== '' && parent !== path) await makeFolders(sftp, parent);
  try {
    await call<void>((done) => sftp.mkdir(path, done));
  } catch (error) {
    if ((await statOrUndefined(sftp, path))?.isDirectory()) return;
    throw error;
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
