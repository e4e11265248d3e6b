import { randomUUID } from 'node:crypto';
import { addAbortSignal, type Readable } from 'node:stream';
import {
  assertSafeKey,
  assertSafePrefix,
  type Destination,
  type DestinationCapabilities,
  DestinationError,
  folderOf,
  isDeadLeftover,
  type Logger,
  NotFoundError,
  type ObjectInfo,
  type PutOptions,
  type PutResult,
  type SweepOptions,
  TricopyError,
} from '@tricopy/contract';
import type { BodyHash } from './body-hash.js';
import { checkedRead } from './checked-read.js';
import { aborted, rcloneFailure, type Scope, vanished } from './errors.js';
import { isNotFound } from './exit-codes.js';
import { type LsjsonEntry, lsjsonEntries, modifiedAt, statEntry } from './lsjson.js';
import { rcatUpload } from './rcat-upload.js';
import { isRunning, outcomeOf, runRclone, startRclone } from './rclone.js';
import type { ResolvedRemote } from './remote.js';

/** Uploads in progress are written under this name prefix, in the folder of their key, and never listed. */
export const TEMP_PREFIX = '.tricopy-tmp-';

/** Backends whose `lsjson --hash` gives a SHA-256 of the stored bytes (rclone 1.60: the local disk). */
const SHA256_BACKENDS: ReadonlySet<string> = new Set(['local']);

/** What `put` observed of the stored bytes. */
interface StoredTemp {
  readonly size: number;
  readonly sha256?: string;
}

export class RcloneDestination implements Destination {
  readonly capabilities: DestinationCapabilities;
  readonly #hashSha256: boolean;

  constructor(
    private readonly remote: ResolvedRemote,
    private readonly scope: Scope,
    private readonly logger: Logger,
  ) {
    this.#hashSha256 = remote.backendType !== undefined && SHA256_BACKENDS.has(remote.backendType);
    this.capabilities = this.#hashSha256 ? { storedSha256: true, readBackSha256: true } : {};
  }

  locate(key: string): string {
    assertSafeKey(key);
    return joinPath(this.remote.displayRoot, key);
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    assertSafeKey(key);
    const { signal } = options;
    const action = `put "${key}"`;
    if (signal?.aborted) throw aborted(this.scope, action, signal.reason);
    const temp = this.#path(`${folderOf(key)}${TEMP_PREFIX}${randomUUID()}`);
    try {
      const hash = await rcatUpload(this.remote.invocation, this.scope, { temp, body, action, signal }, () =>
        this.#isGone(temp, action),
      );
      const stored = await this.#checkTemp(temp, hash, action);
      if (signal?.aborted) throw aborted(this.scope, action, signal.reason);
      // Not cancelled: a move stopped halfway (a copy made, its source not yet deleted) would leave the object
      // under its key while put rejects.
      const moved = await runRclone(this.remote.invocation, 'moveto', [
        '--ignore-times',
        temp,
        this.#path(key),
      ]);
      if (isNotFound(moved.exitCode)) throw vanished(this.scope, temp);
      if (moved.exitCode !== 0) throw rcloneFailure(this.scope, action, 'moveto', moved);
      return { ...stored, location: this.locate(key) };
    } catch (error) {
      await this.#removeTemp(temp);
      throw error;
    }
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    assertSafeKey(key);
    const action = `get "${key}"`;
    const path = this.#path(key);
    const info = await this.#stat(path, action, []);
    if (info === undefined) throw new NotFoundError(key, this.scope.who);
    if (options.signal?.aborted) throw aborted(this.scope, action, options.signal.reason);
    const child = startRclone(this.remote.invocation, 'cat', [path], { signal: options.signal });
    const output = checkedRead(child, info.Size, this.scope, action);
    child.stdout.pipe(output);
    return options.signal ? addAbortSignal(options.signal, output) : output;
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    assertSafeKey(key);
    const info = await this.#stat(this.#path(key), `stat "${key}"`, this.#hashSha256 ? ['sha256'] : []);
    if (info === undefined) return undefined;
    const sha256 = info.Hashes?.sha256;
    const time = modifiedAt(info);
    return {
      key,
      size: info.Size,
      ...(sha256 !== undefined && sha256 !== '' && { sha256 }),
      ...(time !== undefined && { modifiedAt: time }),
    };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertSafePrefix(prefix);
    for await (const { key, entry } of this.#files(prefix, `list "${prefix}"`)) {
      if (entry.Name.startsWith(TEMP_PREFIX)) continue;
      const time = modifiedAt(entry);
      yield { key, size: entry.Size, ...(time !== undefined && { modifiedAt: time }) };
    }
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    const action = `delete "${key}"`;
    const path = this.#path(key);
    const result = await runRclone(this.remote.invocation, 'deletefile', [path]);
    if (result.exitCode === 0) return;
    // deletefile answers a missing file with the generic exit code 1: ask whether it is there.
    if (await this.#isGone(path, action)) return;
    throw rcloneFailure(this.scope, action, 'deletefile', result);
  }

  /**
   * Removes the `.tricopy-tmp-*` objects under `prefix` that are provably dead (isDeadLeftover: by their folder,
   * or last written before `olderThan`); another process may be writing the others. Unfinished multipart uploads
   * of bucket stores are invisible to rclone's listing: see the README (lifecycle rule / rclone backend cleanup).
   */
  async sweep(prefix: string, options: SweepOptions): Promise<readonly string[]> {
    assertSafePrefix(prefix);
    const dead: string[] = [];
    for await (const { key, entry } of this.#files(prefix, `sweep "${prefix}"`)) {
      if (entry.Name.startsWith(TEMP_PREFIX) && isDeadLeftover(options, folderOf(key), modifiedAt(entry)))
        dead.push(key);
    }
    const removed: string[] = [];
    for (const key of dead) {
      options.signal?.throwIfAborted();
      const path = this.#path(key);
      const result = await runRclone(this.remote.invocation, 'deletefile', [path], {
        signal: options.signal,
      });
      if (result.exitCode === 0) removed.push(joinPath(this.remote.displayRoot, key));
      else if ((await this.#stat(path, `sweep "${key}"`, [])) !== undefined)
        throw rcloneFailure(this.scope, `sweep "${key}"`, 'deletefile', result);
    }
    return removed;
  }

  #path(key: string): string {
    return joinPath(this.remote.root, key);
  }

  /** `rclone lsjson --stat`: the file's entry, `undefined` when nothing (or a folder) is there. */
  #stat(path: string, action: string, hashes: readonly string[]): Promise<LsjsonEntry | undefined> {
    return statEntry(this.remote.invocation, this.scope, path, action, hashes);
  }

  /** Whether `rclone lsjson --stat` says nothing is at `path` (false when it cannot tell). */
  async #isGone(path: string, action: string): Promise<boolean> {
    return this.#stat(path, action, []).then(
      (entry) => entry === undefined,
      () => false,
    );
  }

  /** Every file under the folder `prefix` names, with its key, when the key starts with `prefix`. */
  async *#files(prefix: string, action: string): AsyncGenerator<{ key: string; entry: LsjsonEntry }> {
    const folder = folderOf(prefix);
    const path = folder === '' ? this.remote.root : this.#path(folder.slice(0, -1));
    const child = startRclone(this.remote.invocation, 'lsjson', [
      '-R',
      '--files-only',
      '--no-mimetype',
      path,
    ]);
    try {
      for await (const entry of lsjsonEntries(child.stdout)) {
        const key = `${folder}${entry.Path}`;
        if (!entry.IsDir && key.startsWith(prefix)) yield { key, entry };
      }
      const result = outcomeOf(await child);
      if (result.exitCode !== 0 && !isNotFound(result.exitCode))
        throw rcloneFailure(this.scope, action, 'lsjson', result);
    } catch (error) {
      if (TricopyError.isInstance(error)) throw error;
      throw new DestinationError(`${this.scope.who}: ${action}: cannot read rclone lsjson's listing`, {
        cause: error,
      });
    } finally {
      if (isRunning(child)) child.kill();
    }
  }

  /** The stored temporary object holds exactly what was sent: same size, same hashes where the backend has one. */
  async #checkTemp(temp: string, hash: BodyHash, action: string): Promise<StoredTemp> {
    const stored = await this.#stat(temp, action, this.#hashSha256 ? ['sha256'] : ['md5', 'sha256']);
    if (stored === undefined) throw vanished(this.scope, temp);
    const sent = hash.digests();
    const differs = (what: string, got: string, expected: string | number) =>
      new DestinationError(
        `${this.scope.who}: ${action}: the uploaded object has ${what} ${got}, expected ${expected}: nothing was stored`,
        { retryable: true },
      );
    if (stored.Size !== hash.size) throw differs('size', String(stored.Size), hash.size);
    const { md5, sha256 } = stored.Hashes ?? {};
    if (sha256 && sha256 !== sent.sha256) throw differs('sha256', sha256, sent.sha256);
    if (md5 && md5 !== sent.md5) throw differs('md5', md5, sent.md5);
    return { size: stored.Size, ...(sha256 ? { sha256 } : {}) };
  }

  async #removeTemp(temp: string): Promise<void> {
    const result = await runRclone(this.remote.invocation, 'deletefile', [temp]);
    if (result.exitCode === 0 || (await this.#isGone(temp, 'remove temporary object'))) return;
    this.logger.warn(
      `${this.scope.who}: could not remove the temporary object ${temp} (never listed; a later sweep removes it)`,
    );
  }
}

/** `nas:` + `a/b` → `nas:a/b`; `nas:backups` + `a/b` → `nas:backups/a/b`. */
function joinPath(root: string, key: string): string {
  return root.endsWith(':') || root.endsWith('/') ? `${root}${key}` : `${root}/${key}`;
}
