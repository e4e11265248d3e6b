import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertSafeKey,
  assertSafePrefix,
  type Destination,
  DestinationError,
  isDeadLeftover,
  type Logger,
  NotFoundError,
  type ObjectInfo,
  type PutOptions,
  type PutResult,
  type SweepOptions,
} from '@tricopy/contract';
import pRetry from 'p-retry';
import type { Session, SftpConnection } from './connection.js';
import {
  type ErrorScope,
  failureOn,
  isNoSuchFile,
  translateError,
  vanished,
  worthRetryingHere,
} from './errors.js';
import {
  closeHandle,
  MissingRootError,
  makeFoldersUnder,
  openForReading,
  readFolder,
  removeEmptyFolders,
  removeFile,
  replaceFile,
  statOrUndefined,
} from './remote-fs.js';

/** Uploads in progress are written under this name prefix and never listed. */
export const TEMP_PREFIX = '.tricopy-tmp-';

export interface SftpDestinationSettings {
  /** Remote root without a trailing slash ('' for the server's '/'). */
  readonly root: string;
  /** `sftp://user@host:port` */
  readonly origin: string;
  readonly retries: number;
}

/**
 * Bytes the SFTP write stream takes before it pushes back. With the default 16 KiB every 64 KiB chunk waited for the
 * server's reply before the next was sent (one write request in flight; with sshd's delayed ACKs that measured
 * 64 MiB in 40 s on loopback); with 1 MiB, ssh2's _writev sends the buffered chunks as concurrent write requests
 * (the same 64 MiB in 1.6 s).
 */
const WRITE_HIGH_WATER_MARK = 1024 * 1024;

export class SftpDestination implements Destination {
  readonly capabilities = {};

  constructor(
    private readonly settings: SftpDestinationSettings,
    private readonly connection: SftpConnection,
    private readonly scope: ErrorScope,
    private readonly logger: Logger,
  ) {}

  locate(key: string): string {
    assertSafeKey(key);
    const path = this.remotePath(key);
    return `${this.settings.origin}${path.startsWith('/') ? '' : '/~/'}${path}`;
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    assertSafeKey(key);
    const { signal } = options;
    const action = `put "${key}"`;
    const target = this.remotePath(key);
    const folder = posix.dirname(target);
    const temp = posix.join(folder, `${TEMP_PREFIX}${randomUUID()}`);
    if (signal?.aborted) throw this.#aborted(action, signal.reason);

    const session = await this.#retrying(`${action}: create folder`, async (s) => {
      try {
        await makeFoldersUnder(s.sftp, this.settings.root, folder);
      } catch (error) {
        if (!(error instanceof MissingRootError)) throw error;
        throw new DestinationError(
          `${this.scope.who}: ${error.message} on ${this.scope.server} (create it, or mount the volume that holds it)`,
        );
      }
      return s;
    });
    try {
      const output = session.sftp.createWriteStream(temp, {
        flags: 'w',
        mode: 0o600,
        highWaterMark: WRITE_HIGH_WATER_MARK,
      });
      const closed = new Promise<void>((resolve) => output.once('close', () => resolve()));
      const upload = pipeline(body, output, signal ? { signal } : {});
      try {
        await this.connection.watched(session, upload);
      } catch (error) {
        // A lost connection leaves ssh2's pending writes hanging: tear both streams down.
        output.destroy();
        (body as Partial<Readable>).destroy?.();
        await upload.catch(() => {});
        throw error;
      }
      // ssh2 emits 'finish' before the remote handle is closed; the size is only final after 'close'.
      await this.connection.timed(session, `${action}: close`, closed);
      const stored = await this.connection.timed(
        session,
        `${action}: stat`,
        statOrUndefined(session.sftp, temp),
      );
      if (stored === undefined) throw vanished(this.scope, temp);
      await this.connection.timed(
        session,
        `${action}: rename`,
        replaceFile(session.sftp, temp, target).catch((error: unknown) => {
          throw isNoSuchFile(error) ? vanished(this.scope, temp) : error;
        }),
      );
      return { size: stored.size, location: this.locate(key) };
    } catch (error) {
      await this.#removeTemp(session, temp);
      await this.#removeEmptyFolders(session, folder);
      if (signal?.aborted) throw this.#aborted(action, error);
      const translated = translateError(this.scope, action, failureOn(session, error));
      if (DestinationError.isInstance(translated) && translated.retryable) {
        this.connection.drop(session);
      }
      throw translated;
    }
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    assertSafeKey(key);
    const path = this.remotePath(key);
    const { session, handle } = await this.#retrying(`get "${key}"`, async (s) => {
      const attributes = await statOrUndefined(s.sftp, path);
      if (attributes === undefined || !attributes.isFile()) throw new NotFoundError(key, this.scope.who);
      return { session: s, handle: await openForReading(s.sftp, path) };
    });
    if (options.signal?.aborted) {
      await closeHandle(session.sftp, handle).catch(() => {});
      throw this.#aborted(`get "${key}"`, options.signal.reason);
    }
    const stream = session.sftp.createReadStream(path, { handle, autoClose: true });
    // Closing the handle is a request of its own: when the connection ends first (the run closes its
    // destinations), ssh2 fails it with "No response from server" on a stream whose reader is gone. Readers
    // still get every error through their own listeners; this one only keeps a late one from crashing the process.
    stream.on('error', () => undefined);
    void session.lost.then((reason) => {
      if (!stream.destroyed) stream.destroy(translateError(this.scope, `get "${key}"`, reason));
    });
    return options.signal ? addAbortSignal(options.signal, stream) : stream;
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    assertSafeKey(key);
    const attributes = await this.#retrying(`stat "${key}"`, (s) =>
      statOrUndefined(s.sftp, this.remotePath(key)),
    );
    if (attributes === undefined || !attributes.isFile()) return undefined;
    return { key, size: attributes.size, modifiedAt: new Date(attributes.mtime * 1000) };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertSafePrefix(prefix);
    // Start at the deepest folder the prefix names entirely, then walk down.
    const start = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    yield* this.#walk(start, prefix);
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    const path = this.remotePath(key);
    await this.#retrying(`delete "${key}"`, async (s) => {
      await removeFile(s.sftp, path);
      await removeEmptyFolders(s.sftp, this.settings.root, posix.dirname(path));
    });
  }

  /**
   * Removes the `.tricopy-tmp-*` files under `prefix` that are provably dead (isDeadLeftover: by their folder, or
   * not written to since `olderThan`); another process may be writing the others.
   */
  async sweep(prefix: string, options: SweepOptions): Promise<readonly string[]> {
    assertSafePrefix(prefix);
    const start = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const removed: string[] = [];
    await this.#sweepFolder(start, options, removed);
    return removed;
  }

  async #sweepFolder(folderKey: string, options: SweepOptions, removed: string[]): Promise<void> {
    const folder = folderKey === '' ? this.settings.root || '/' : this.remotePath(folderKey);
    const entries = await this.#retrying(`sweep "${folder}"`, (s) => readFolder(s.sftp, folder));
    const keyFolder = folderKey === '' ? '' : `${folderKey}/`;
    for (const entry of entries) {
      options.signal?.throwIfAborted();
      if (entry.filename === '.' || entry.filename === '..') continue;
      const path = posix.join(folder, entry.filename);
      if (entry.attrs.isDirectory())
        await this.#sweepFolder(`${keyFolder}${entry.filename}`, options, removed);
      else if (
        entry.filename.startsWith(TEMP_PREFIX) &&
        isDeadLeftover(options, keyFolder, new Date(entry.attrs.mtime * 1000))
      ) {
        await this.#retrying(`sweep "${path}"`, (s) => removeFile(s.sftp, path));
        removed.push(`${this.settings.origin}${path.startsWith('/') ? '' : '/~/'}${path}`);
      }
    }
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  private remotePath(key: string): string {
    return `${this.settings.root}/${key}`;
  }

  async *#walk(folderKey: string, prefix: string): AsyncGenerator<ObjectInfo> {
    const folder = folderKey === '' ? this.settings.root || '/' : this.remotePath(folderKey);
    const entries = await this.#retrying(`list "${prefix}"`, (s) => readFolder(s.sftp, folder));
    entries.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
    for (const entry of entries) {
      if (entry.filename === '.' || entry.filename === '..' || entry.filename.startsWith(TEMP_PREFIX))
        continue;
      const key = folderKey === '' ? entry.filename : `${folderKey}/${entry.filename}`;
      if (entry.attrs.isDirectory()) {
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.#walk(key, prefix);
      } else if (entry.attrs.isFile() && key.startsWith(prefix)) {
        yield { key, size: entry.attrs.size, modifiedAt: new Date(entry.attrs.mtime * 1000) };
      }
    }
  }

  /** Runs an idempotent request, reconnecting and retrying with backoff after network errors and timeouts. */
  #retrying<T>(action: string, request: (session: Session) => Promise<T>): Promise<T> {
    return pRetry(
      async () => {
        const session = await this.connection.session();
        try {
          return await this.connection.timed(session, action, request(session));
        } catch (error) {
          const translated = translateError(this.scope, action, failureOn(session, error));
          if (DestinationError.isInstance(translated) && translated.retryable) this.connection.drop(session);
          throw translated;
        }
      },
      {
        retries: this.settings.retries,
        minTimeout: 250,
        maxTimeout: 5_000,
        factor: 2,
        randomize: true,
        shouldRetry: ({ error }) => worthRetryingHere(error),
        onFailedAttempt: ({ error, retriesLeft }) => {
          if (retriesLeft > 0 && worthRetryingHere(error)) {
            this.logger.warn(`${error.message}; retrying (${retriesLeft} left)`);
          }
        },
      },
    );
  }

  async #removeTemp(session: Session, temp: string): Promise<void> {
    if (!session.alive) {
      this.logger.warn(
        `${this.scope.who}: connection lost; temporary file ${temp} may remain (never listed)`,
      );
      return;
    }
    try {
      await this.connection.timed(session, 'remove temporary file', removeFile(session.sftp, temp));
    } catch (error) {
      this.logger.warn(`${this.scope.who}: could not remove temporary file ${temp} (never listed)`, {
        error: this.scope.redact(String(error)),
      });
    }
  }

  /** The folders an aborted upload created are removed again when nothing else is in them. */
  async #removeEmptyFolders(session: Session, folder: string): Promise<void> {
    if (!session.alive) return;
    await this.connection
      .timed(session, 'remove empty folders', removeEmptyFolders(session.sftp, this.settings.root, folder))
      .catch(() => {});
  }

  #aborted(action: string, cause: unknown): DestinationError {
    return new DestinationError(`${this.scope.who}: ${action}: aborted`, { cause });
  }
}
