import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import {
  access,
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
} from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertSafeKey,
  assertSafePrefix,
  type Destination,
  type DestinationCapabilities,
  DestinationError,
  InvalidKeyError,
  isDeadLeftover,
  type Logger,
  type MissingDestination,
  NotFoundError,
  type ObjectInfo,
  openExclusive,
  type PutOptions,
  type PutResult,
  type SweepOptions,
  TricopyError,
} from '@tricopy/contract';
import { fsyncDir } from '@tricopy/plugin-support';
import { hashFile } from './files.js';
import { fsError, isErrno } from './fs-errors.js';

/** Names of in-progress files; never listed, never valid as a key segment. */
export const TEMP_PREFIX = '.tricopy-tmp-';

const MISSING = ['ENOENT', 'ENOTDIR'];

export interface LocalDestinationSettings {
  /** Absolute path of the root folder. */
  readonly root: string;
  readonly fsync: boolean;
  /** Instance name from the config, used in every error message. */
  readonly name: string;
  readonly logger: Logger;
}

export class LocalDestination implements Destination {
  readonly capabilities: DestinationCapabilities = { readBackSha256: true, local: true };
  private readonly root: string;
  private readonly where: string;

  constructor(private readonly settings: LocalDestinationSettings) {
    this.root = settings.root;
    this.where = `destination "${settings.name}"`;
  }

  locate(key: string): string {
    return this.pathOf(key);
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const file = this.pathOf(key);
    const dir = dirname(file);
    const temp = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const { signal } = options;
    let handle: FileHandle | undefined;
    let opened = false;
    let writeFailed: unknown;
    try {
      signal?.throwIfAborted();
      const realRoot = await this.ensureRoot(true);
      handle = await this.openTemp(realRoot, dir, temp);
      opened = true;
      const written = await writeAll(body, handle, signal, (error) => {
        writeFailed = error;
      });
      if (this.settings.fsync) await handle.sync();
      await handle.close();
      handle = undefined;

      const stored = await hashFile(temp);
      if (stored.size !== written) {
        throw new DestinationError(
          `${this.where}: ${temp} holds ${stored.size} bytes after writing ${written} (check the disk)`,
        );
      }
      if (options.size !== undefined && stored.size !== options.size) {
        throw new DestinationError(
          `${this.where}: put of "${key}" received ${stored.size} bytes, expected ${options.size}`,
        );
      }
      if (options.sha256 !== undefined && stored.sha256 !== options.sha256.toLowerCase()) {
        throw new DestinationError(
          `${this.where}: what was written for "${key}" reads back with sha256 ${stored.sha256}, expected ${options.sha256} (check the disk and memory)`,
        );
      }
      signal?.throwIfAborted();
      await rename(temp, file);
      if (this.settings.fsync) await fsyncDir(dir);
      return { size: stored.size, sha256: stored.sha256, location: file };
    } catch (error) {
      await handle?.close().catch(() => {});
      await rm(temp, { force: true }).catch(() => {});
      if (TricopyError.isInstance(error)) throw error;
      if (signal?.aborted) {
        throw new DestinationError(`${this.where}: put of "${key}" was aborted`, { cause: signal.reason });
      }
      // Once the temp file exists, only its removal by someone else makes it (or its folder) missing.
      if (opened && writeFailed === undefined && isErrno(error, ...MISSING)) throw this.vanished(temp, error);
      if (writeFailed !== undefined || isFsError(error)) {
        throw fsError(this.where, 'writing', file, writeFailed ?? error);
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new DestinationError(`${this.where}: put of "${key}" failed: the data stream failed: ${reason}`, {
        cause: error,
      });
    }
  }

  private vanished(temp: string, error: unknown): DestinationError {
    return new DestinationError(
      `${this.where}: the temporary file ${temp} was removed by someone else while it was being written ` +
        '(another program, or a tricopy of another config sharing this folder, cleaning up): nothing was stored; ' +
        'make sure nothing else deletes .tricopy-tmp-* files here',
      { cause: error, retryable: true },
    );
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    const file = this.pathOf(key);
    const realRoot = await this.ensureRoot(false);
    if (realRoot === undefined) throw new NotFoundError(key, this.where);
    let handle: FileHandle | undefined;
    try {
      await this.assertInside(realRoot, file);
      handle = await open(file, 'r');
      if (!(await handle.stat()).isFile()) throw new NotFoundError(key, this.where);
    } catch (error) {
      await handle?.close().catch(() => {});
      if (TricopyError.isInstance(error)) throw error;
      if (isErrno(error, ...MISSING)) throw new NotFoundError(key, this.where);
      throw fsError(this.where, 'reading', file, error);
    }
    const stream = handle.createReadStream();
    if (options.signal) addAbortSignal(options.signal, stream);
    return stream;
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const file = this.pathOf(key);
    const realRoot = await this.ensureRoot(false);
    if (realRoot === undefined) return undefined;
    try {
      await this.assertInside(realRoot, file);
      const info = await stat(file);
      if (!info.isFile()) return undefined;
      return { key, size: info.size, modifiedAt: info.mtime };
    } catch (error) {
      if (TricopyError.isInstance(error)) throw error;
      if (isErrno(error, ...MISSING)) return undefined;
      throw fsError(this.where, 'reading', file, error);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const start = await this.prefixFolder(prefix);
    if (start !== undefined) yield* this.walk(start.dir, start.key, prefix);
  }

  /**
   * Removes the `.tricopy-tmp-*` files under `prefix` that are provably dead (isDeadLeftover: by their folder, or
   * not written to since `olderThan`); another process may be writing the others.
   */
  async sweep(prefix: string, options: SweepOptions): Promise<readonly string[]> {
    const start = await this.prefixFolder(prefix);
    const removed: string[] = [];
    if (start !== undefined) await this.sweepFolder(start.dir, start.key, options, removed);
    return removed;
  }

  /** The deepest folder `prefix` names entirely (inside the root), or undefined when it does not exist. */
  private async prefixFolder(prefix: string): Promise<{ dir: string; key: string } | undefined> {
    assertSafePrefix(prefix);
    const realRoot = await this.ensureRoot(false);
    if (realRoot === undefined) return undefined;
    const cut = prefix.lastIndexOf('/');
    const key = cut === -1 ? '' : prefix.slice(0, cut);
    const dir = key === '' ? this.root : join(this.root, ...key.split('/'));
    try {
      await this.assertInside(realRoot, dir);
    } catch (error) {
      if (isErrno(error, ...MISSING)) return undefined;
      throw error;
    }
    return { dir, key };
  }

  private async sweepFolder(
    dir: string,
    dirKey: string,
    options: SweepOptions,
    removed: string[],
  ): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isErrno(error, ...MISSING)) return;
      throw fsError(this.where, 'sweeping', dir, error);
    }
    for (const entry of entries) {
      options.signal?.throwIfAborted();
      const path = join(dir, entry.name);
      const folder = dirKey === '' ? '' : `${dirKey}/`;
      if (entry.isDirectory()) await this.sweepFolder(path, `${folder}${entry.name}`, options, removed);
      else if (entry.isFile() && entry.name.startsWith(TEMP_PREFIX)) {
        try {
          if (!isDeadLeftover(options, folder, (await lstat(path)).mtime)) continue;
          await rm(path, { force: true });
          removed.push(path);
        } catch (error) {
          if (!isErrno(error, ...MISSING)) throw fsError(this.where, 'sweeping', path, error);
        }
      }
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    const dir = dirname(file);
    const realRoot = await this.ensureRoot(false);
    if (realRoot === undefined) return;
    try {
      await this.assertInside(realRoot, dir);
      if ((await lstat(file)).isDirectory()) return; // a folder is not an object
      await rm(file);
      if (this.settings.fsync) await fsyncDir(dir);
    } catch (error) {
      if (TricopyError.isInstance(error)) throw error;
      if (isErrno(error, ...MISSING)) return;
      throw fsError(this.where, 'deleting', file, error);
    }
    await this.removeEmptyFolders(dir);
  }

  /** Absolute path of a key; rejects unsafe keys and keys that name temporary files. */
  private pathOf(key: string): string {
    assertSafeKey(key);
    const segments = key.split('/');
    if (segments.some((segment) => segment.startsWith(TEMP_PREFIX))) {
      throw new InvalidKeyError(
        key,
        `segments starting with "${TEMP_PREFIX}" are reserved for temporary files`,
      );
    }
    const file = join(this.root, ...segments);
    const rel = relative(this.root, file);
    if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..') {
      throw new InvalidKeyError(key, `resolves outside ${this.root}`);
    }
    return file;
  }

  async missing(): Promise<MissingDestination | undefined> {
    if ((await this.ensureRoot(false)) !== undefined) return undefined;
    const parent = dirname(this.root);
    const writable = await access(parent, constants.W_OK).then(
      () => true,
      () => false,
    );
    if (writable) {
      return {
        creatable: true,
        message: `folder ${this.root} does not exist yet: tricopy backup creates it (mode 0700), or create it now with mkdir -m 700 ${this.root}`,
      };
    }
    return {
      creatable: false,
      message: `${this.where}: folder ${this.root} does not exist and its parent ${parent} is missing or not writable: create it with mkdir -p -m 700 ${this.root} (as a user who may), or mount the disk that holds it`,
    };
  }

  /**
   * The root's real path, creating the root when `create` and its parent exists. A missing parent usually
   * means an unmounted disk: never create that chain.
   */
  private async ensureRoot(create: true): Promise<string>;
  private async ensureRoot(create: false): Promise<string | undefined>;
  private async ensureRoot(create: boolean): Promise<string | undefined> {
    try {
      const info = await stat(this.root);
      if (!info.isDirectory()) {
        throw new DestinationError(`${this.where}: ${this.root} is not a folder (point path at a folder)`);
      }
      return await realpath(this.root);
    } catch (error) {
      if (TricopyError.isInstance(error)) throw error;
      if (!isErrno(error, 'ENOENT')) throw fsError(this.where, 'opening', this.root, error);
      if (!create) return undefined;
    }
    try {
      await mkdir(this.root, { mode: 0o700 });
    } catch (error) {
      if (isErrno(error, 'ENOENT')) {
        throw new DestinationError(
          `${this.where}: folder ${this.root} does not exist and neither does its parent ${dirname(this.root)} (create it, or mount the disk that holds it)`,
          { cause: error },
        );
      }
      if (!isErrno(error, 'EEXIST')) throw fsError(this.where, 'creating folder', this.root, error);
    }
    return await realpath(this.root);
  }

  /** Creates the key's folders (0700) and an exclusive temp file (0600) in it, never outside the root. */
  private async openTemp(realRoot: string, dir: string, temp: string): Promise<FileHandle> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.assertInside(realRoot, await deepestExisting(dir));
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await this.assertInside(realRoot, dir);
        return await openExclusive(temp);
      } catch (error) {
        if (TricopyError.isInstance(error)) throw error;
        // A concurrent delete may remove an empty folder between mkdir and open.
        if (isErrno(error, 'ENOENT') && attempt < 3) continue;
        throw fsError(this.where, 'creating', temp, error);
      }
    }
  }

  /** Refuses paths that resolve (through symlinks) outside the root. Missing paths reject with ENOENT. */
  private async assertInside(realRoot: string, path: string): Promise<void> {
    const real = await realpath(path);
    if (real !== realRoot && !real.startsWith(`${realRoot}${sep}`)) {
      throw new DestinationError(
        `${this.where}: refusing to follow ${path}: it resolves to ${real}, outside ${this.root} (remove the symlink)`,
      );
    }
  }

  private async *walk(dir: string, dirKey: string, prefix: string): AsyncGenerator<ObjectInfo> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isErrno(error, ...MISSING)) return;
      throw fsError(this.where, 'listing', dir, error);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith(TEMP_PREFIX)) continue;
      const key = dirKey === '' ? entry.name : `${dirKey}/${entry.name}`;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.walk(path, key, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        if (!isSafeKey(key)) {
          this.settings.logger.warn('skipping a file whose name is not a valid key', { path });
          continue;
        }
        try {
          const info = await stat(path);
          yield { key, size: info.size, modifiedAt: info.mtime };
        } catch (error) {
          if (!isErrno(error, ...MISSING)) throw fsError(this.where, 'listing', path, error);
        }
      }
    }
  }

  private async removeEmptyFolders(dir: string): Promise<void> {
    for (let current = dir; current !== this.root && current.startsWith(`${this.root}${sep}`); ) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty, or gone: either way done
      }
      current = dirname(current);
    }
  }
}

/** Writes the body to the file; write errors are reported through `onWriteError` as well as thrown. */
async function writeAll(
  body: Readable,
  handle: FileHandle,
  signal: AbortSignal | undefined,
  onWriteError: (error: unknown) => void,
): Promise<number> {
  let written = 0;
  await pipeline(
    body,
    async (chunks: AsyncIterable<Buffer | string>) => {
      for await (const chunk of chunks) {
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        for (let offset = 0; offset < buffer.length; ) {
          try {
            const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
            offset += bytesWritten;
          } catch (error) {
            onWriteError(error);
            throw error;
          }
        }
        written += buffer.length;
      }
    },
    { signal },
  );
  return written;
}

async function deepestExisting(path: string): Promise<string> {
  for (let current = path; ; current = dirname(current)) {
    try {
      await lstat(current);
      return current;
    } catch (error) {
      if (!isErrno(error, ...MISSING) || dirname(current) === current) throw error;
    }
  }
}

function isSafeKey(key: string): boolean {
  try {
    assertSafeKey(key);
    return true;
  } catch {
    return false;
  }
}

function isFsError(error: unknown): boolean {
  return typeof (error as NodeJS.ErrnoException | undefined)?.syscall === 'string';
}
