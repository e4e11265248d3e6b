import { createHash, randomUUID } from 'node:crypto';
import { pipeline, Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  assertSafeKey,
  assertSafePrefix,
  type Destination,
  type DestinationCapabilities,
  DestinationError,
  type Logger,
  NotFoundError,
  type ObjectInfo,
  type PutOptions,
  type PutResult,
} from '@tricopy/contract';
import { davRequest, type HttpSettings } from './http.js';
import { type DavEntry, PROPFIND_BODY, parseMultistatus } from './propfind.js';

/** Uploads in progress are written under this name, beside their final name, and never listed. */
export const TEMP_PREFIX = '.tricopy-tmp-';

export interface WebdavDestinationSettings {
  /** The folder that holds the copies, ending in '/'. No credentials in it. */
  readonly base: URL;
  readonly verifyUploads: boolean;
  readonly http: HttpSettings;
}

export class WebdavDestination implements Destination {
  readonly capabilities: DestinationCapabilities;
  /** Folders known to exist, so that a backup's artifact and manifest cost one MKCOL chain, not two. */
  readonly #folders = new Set<string>();

  constructor(
    private readonly settings: WebdavDestinationSettings,
    private readonly logger: Logger,
  ) {
    this.capabilities = { readBackSha256: settings.verifyUploads };
  }

  locate(key: string): string {
    return this.#url(key).href;
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const target = this.#url(key);
    const action = `put "${key}"`;
    const { signal } = options;
    if (signal?.aborted) throw this.#error(`${action}: aborted before it started`);
    const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/')) : '';
    await this.#makeFolders(folder, action);
    const temp = this.#url(`${folder === '' ? '' : `${folder}/`}${TEMP_PREFIX}${randomUUID()}`);
    try {
      const sent = await this.#upload(temp, body, action, signal);
      const stored = await this.#entry(temp, action);
      if (stored?.size !== sent) {
        throw this.#error(`${action}: the server stored ${stored?.size ?? 'no'} bytes of the ${sent} sent`);
      }
      const sha256 = this.settings.verifyUploads ? await this.#readBack(temp, action, signal) : undefined;
      await davRequest(this.settings.http, {
        method: 'MOVE',
        url: temp,
        action: `${action}: rename into place`,
        headers: { destination: target.href, overwrite: 'T' },
        ...(signal ? { signal } : {}),
      });
      return { size: sent, ...(sha256 === undefined ? {} : { sha256 }), location: target.href };
    } catch (error) {
      await this.#removeTemp(temp);
      throw error;
    }
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    const url = this.#url(key);
    const action = `get "${key}"`;
    const entry = await this.#entry(url, action);
    if (entry === undefined || entry.collection) throw new NotFoundError(key, this.settings.http.who);
    const response = await davRequest(this.settings.http, {
      method: 'GET',
      url,
      action,
      accept: [404],
      streaming: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (response.status === 404 || response.body === null)
      throw new NotFoundError(key, this.settings.http.who);
    return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const entry = await this.#entry(this.#url(key), `stat "${key}"`);
    if (entry === undefined || entry.collection) return undefined;
    return { key, size: entry.size ?? 0, ...(entry.modifiedAt ? { modifiedAt: entry.modifiedAt } : {}) };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertSafePrefix(prefix);
    // Start at the deepest folder the prefix names entirely, then walk down (Depth: infinity is often disabled).
    const start = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    yield* this.#walk(start, prefix);
  }

  async delete(key: string): Promise<void> {
    const url = this.#url(key);
    const entry = await this.#entry(url, `delete "${key}"`);
    // DELETE on a collection removes everything under it: a "folder" is not an object, so leave it alone.
    if (entry === undefined || entry.collection) return;
    await davRequest(this.settings.http, { method: 'DELETE', url, action: `delete "${key}"`, accept: [404] });
  }

  async close(): Promise<void> {
    this.#folders.clear();
  }

  /** URL of a key, or of a folder key ('' for the base) when `folder` is set. */
  #url(key: string, folder = false): URL {
    if (key !== '' || !folder) assertSafeKey(key);
    const path = key
      .split('/')
      .filter((segment) => segment !== '')
      .map((segment) => encodeURIComponent(segment))
      .join('/');
    return new URL(`${path}${folder && path !== '' ? '/' : ''}`, this.settings.base);
  }

  async #upload(url: URL, body: Readable, action: string, signal?: AbortSignal): Promise<number> {
    let sent = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        sent += chunk.length;
        done(null, chunk);
      },
    });
    let bodyError: unknown;
    pipeline(body, counter, (error) => {
      if (error) bodyError = error;
    });
    try {
      await davRequest(this.settings.http, {
        method: 'PUT',
        url,
        action,
        headers: { 'content-type': 'application/octet-stream' },
        body: Readable.toWeb(counter) as ReadableStream<Uint8Array>,
        streaming: true,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      counter.destroy();
      if (bodyError !== undefined && !signal?.aborted) {
        throw this.#error(`${action}: reading the data to upload failed: ${messageOf(bodyError)}`, bodyError);
      }
      throw error;
    }
    return sent;
  }

  async #readBack(url: URL, action: string, signal?: AbortSignal): Promise<string> {
    const response = await davRequest(this.settings.http, {
      method: 'GET',
      url,
      action: `${action}: read back`,
      streaming: true,
      ...(signal ? { signal } : {}),
    });
    const hash = createHash('sha256');
    for await (const chunk of Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)) {
      hash.update(chunk as Buffer);
    }
    return hash.digest('hex');
  }

  /** PROPFIND Depth 0: the entry, or undefined when nothing is there. */
  async #entry(url: URL, action: string): Promise<DavEntry | undefined> {
    const response = await davRequest(this.settings.http, {
      method: 'PROPFIND',
      url,
      action,
      headers: { depth: '0', 'content-type': 'application/xml; charset=utf-8' },
      body: PROPFIND_BODY,
      accept: [404, 409],
    });
    if (response.status === 404 || response.status === 409) {
      await response.body?.cancel();
      return undefined;
    }
    return this.#parse(await response.text(), url, action)[0];
  }

  async *#walk(folderKey: string, prefix: string): AsyncGenerator<ObjectInfo> {
    const url = this.#url(folderKey, true);
    const action = `list "${prefix}"`;
    const response = await davRequest(this.settings.http, {
      method: 'PROPFIND',
      url,
      action,
      headers: { depth: '1', 'content-type': 'application/xml; charset=utf-8' },
      body: PROPFIND_BODY,
      accept: [404],
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return;
    }
    const own = decodeURIComponent(url.pathname).replace(/\/$/, '');
    const children = this.#parse(await response.text(), url, action)
      .filter((entry) => entry.path !== own && entry.path.startsWith(`${own}/`))
      .map((entry) => ({ ...entry, name: entry.path.slice(own.length + 1) }))
      .filter((entry) => !entry.name.includes('/') && !entry.name.startsWith(TEMP_PREFIX))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of children) {
      const key = folderKey === '' ? entry.name : `${folderKey}/${entry.name}`;
      if (entry.collection) {
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.#walk(key, prefix);
      } else if (key.startsWith(prefix)) {
        yield { key, size: entry.size ?? 0, ...(entry.modifiedAt ? { modifiedAt: entry.modifiedAt } : {}) };
      }
    }
  }

  /** MKCOL the base folder and each folder of `folderKey`, top down; 405 means it exists already. */
  async #makeFolders(folderKey: string, action: string): Promise<void> {
    const segments = folderKey === '' ? [] : folderKey.split('/');
    for (let depth = 0; depth <= segments.length; depth++) {
      const key = segments.slice(0, depth).join('/');
      if (this.#folders.has(key)) continue;
      const response = await davRequest(this.settings.http, {
        method: 'MKCOL',
        url: this.#url(key, true),
        action: `${action}: create folder "${key === '' ? this.settings.base.pathname : key}"`,
        accept: key === '' ? [405, 409] : [405],
      });
      await response.body?.cancel();
      if (response.status === 409) {
        throw this.#error(
          `${action}: the folder of url (${decodeURIComponent(this.settings.base.pathname)}) cannot be created ` +
            'because its parent does not exist on the server: create the parent, or fix url',
        );
      }
      this.#folders.add(key);
    }
  }

  /**
   * A server may still be storing the part of an aborted PUT it received when our DELETE arrives (and answer 404), so
   * the temporary file is removed until it is really gone, a few times at most.
   */
  async #removeTemp(temp: URL): Promise<void> {
    try {
      for (let attempt = 1; attempt <= 5; attempt++) {
        const response = await davRequest(this.settings.http, {
          method: 'DELETE',
          url: temp,
          action: 'remove a failed upload',
          accept: [404],
        });
        await response.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
        if ((await this.#entry(temp, 'remove a failed upload')) === undefined) return;
      }
    } catch (error) {
      this.logger.warn(
        `${this.settings.http.who}: could not remove the temporary upload ${temp.pathname} (never listed): ${messageOf(error)}`,
      );
    }
  }

  #parse(xml: string, url: URL, action: string): DavEntry[] {
    try {
      return parseMultistatus(xml, url);
    } catch (error) {
      throw this.#error(
        `${action}: unreadable PROPFIND answer from ${url.origin}: ${messageOf(error)}`,
        error,
      );
    }
  }

  #error(message: string, cause?: unknown): DestinationError {
    return new DestinationError(
      `${this.settings.http.who}: ${message}`,
      cause === undefined ? {} : { cause },
    );
  }
}

function messageOf(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
