import { createHash } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  assertSafeKey,
  assertSafePrefix,
  type Destination,
  DestinationError,
  folderOf,
  isDeadLeftover,
  type Logger,
  NotFoundError,
  type ObjectInfo,
  type PutOptions,
  type PutResult,
  type SweepOptions,
} from '@tricopy/contract';
import { type ErrorScope, isNotFound, operationTimeout, translateError } from './errors.js';
import { choosePartSize } from './options.js';

/** Metadata entry (x-amz-meta-sha256) holding the sha256 (hex) of the object's bytes. */
export const SHA256_METADATA = 'sha256';
/** Object tag holding the sha256 of a live upload, whose hash is known only at its end: set without a copy. */
export const SHA256_TAG = 'tricopy-sha256';
/** Largest object CopyObject can copy in one request (the fallback where a store has no object tags). */
const MAX_COPY_SIZE = 5 * 1024 * 1024 * 1024;

export interface S3DestinationSettings {
  readonly bucket: string;
  /** '' or ending in '/'. */
  readonly prefix: string;
  readonly partSize: number | undefined;
  readonly queueSize: number;
  /** Deadline of a request that moves no object data, SDK attempts included. */
  readonly operationTimeoutMs: number;
  readonly storageClass?: string;
  readonly serverSideEncryption?: string;
  readonly sseKmsKeyId?: string;
}

export class S3Destination implements Destination {
  readonly capabilities = { storedSha256: true };

  constructor(
    private readonly settings: S3DestinationSettings,
    private readonly client: S3Client,
    private readonly scope: ErrorScope,
    private readonly logger: Logger,
  ) {}

  locate(key: string): string {
    assertSafeKey(key);
    return `s3://${this.settings.bucket}/${this.objectKey(key)}`;
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    assertSafeKey(key);
    const action = `put "${key}"`;
    const { signal } = options;
    if (signal?.aborted)
      throw new DestinationError(`${this.scope.who}: ${action}: aborted`, { cause: signal.reason });

    const hash = createHash('sha256');
    let bytes = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    let readToEnd = false;
    counted.once('end', () => {
      readToEnd = true;
    });
    body.once('error', (error) => counted.destroy(error));
    body.pipe(counted);

    // An abort ends the body rather than lib-storage's own controller: its done() would reject at once while the
    // CreateMultipartUpload and parts in flight go on, and the upload they make would outlive put().
    const onAbort = (): void => void counted.destroy(new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const upload = new Upload({
      client: this.client,
      params: {
        ...this.#objectParams(key),
        Body: counted,
        ContentType: 'application/octet-stream',
        ...(options.sha256 !== undefined && { Metadata: { [SHA256_METADATA]: options.sha256 } }),
      },
      partSize: choosePartSize(this.settings.partSize, options.size, options.sizeHint),
      queueSize: this.settings.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done().catch(async (error: unknown) => {
        const whole = readToEnd && !signal?.aborted;
        if (!whole || !(await this.#storedDespite(error, key, bytes, hash.copy().digest('hex')))) throw error;
      });
    } catch (error) {
      body.unpipe(counted);
      counted.destroy();
      await this.#abortMultipart(upload, key);
      if (signal?.aborted)
        throw new DestinationError(`${this.scope.who}: ${action}: aborted`, { cause: error });
      throw translateError(this.scope, action, error);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }

    const sha256 = hash.digest('hex');
    try {
      if (options.sha256 !== undefined && options.sha256 !== sha256) {
        throw new DestinationError(
          `${this.scope.who}: ${action}: the bytes read (sha256 ${sha256}) differ from the expected sha256 ${options.sha256}`,
        );
      }
      if (options.sha256 === undefined) await this.#recordSha256(key, sha256, bytes);
      const head = await this.#head(key, `${action}: verify`);
      const storedSize = head?.ContentLength;
      const storedSha256 = head === undefined ? undefined : await this.#storedSha256(key, head, action);
      if (storedSize !== bytes) {
        throw new DestinationError(
          `${this.scope.who}: ${action}: the store reports ${storedSize ?? 'no object of'} bytes after uploading ` +
            `${bytes}; the store mishandled the upload (with an S3-compatible store, keep checksumMode: when_required)`,
        );
      }
      if (storedSha256 !== undefined && storedSha256 !== sha256) {
        throw new DestinationError(
          `${this.scope.who}: ${action}: the store recorded sha256 ${storedSha256}, expected ${sha256}`,
        );
      }
      return { size: storedSize, location: this.locate(key) };
    } catch (error) {
      await this.#deleteQuietly(key);
      throw translateError(this.scope, action, error);
    }
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    assertSafeKey(key);
    try {
      const output = await this.#bounded(
        `get "${key}"`,
        (abortSignal) =>
          this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }), {
            abortSignal,
          }),
        options.signal,
      );
      return output.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError(key, this.scope.who);
      throw translateError(this.scope, `get "${key}"`, error);
    }
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    assertSafeKey(key);
    const head = await this.#head(key, `stat "${key}"`);
    if (head === undefined) return undefined;
    const sha256 = await this.#storedSha256(key, head, `stat "${key}"`);
    return {
      key,
      size: head.ContentLength ?? 0,
      ...(sha256 !== undefined && { sha256 }),
      ...(head.LastModified !== undefined && { modifiedAt: head.LastModified }),
    };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertSafePrefix(prefix);
    const root = this.settings.prefix;
    try {
      for await (const page of this.#pages(`${root}${prefix}`, `list "${prefix}"`)) {
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined) continue;
          const key = object.Key.slice(root.length);
          try {
            assertSafeKey(key);
          } catch {
            this.logger.debug(`${this.scope.who}: skipping object with a key tricopy does not write`, {
              key,
            });
            continue;
          }
          yield {
            key,
            size: object.Size ?? 0,
            ...(object.LastModified !== undefined && { modifiedAt: object.LastModified }),
          };
        }
      }
    } catch (error) {
      throw translateError(this.scope, `list "${prefix}"`, error);
    }
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    try {
      await this.#deleteObject(key, `delete "${key}"`);
    } catch (error) {
      if (isNotFound(error)) return;
      throw translateError(this.scope, `delete "${key}"`, error);
    }
  }

  /**
   * Aborts the multipart uploads under `prefix` that are provably dead (isDeadLeftover: by their folder, or
   * started before `olderThan`); another process may be uploading the others.
   */
  async sweep(prefix: string, options: SweepOptions): Promise<readonly string[]> {
    assertSafePrefix(prefix);
    const action = `sweep "${prefix}"`;
    const removed: string[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      do {
        const markers = { KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker };
        const page = await this.#bounded(action, (abortSignal) =>
          this.client.send(
            new ListMultipartUploadsCommand({
              Bucket: this.settings.bucket,
              Prefix: this.objectKey(prefix),
              ...(markers.KeyMarker !== undefined && markers),
            }),
            { abortSignal },
          ),
        );
        for (const upload of page.Uploads ?? []) {
          options.signal?.throwIfAborted();
          if (upload.Key === undefined || upload.UploadId === undefined) continue;
          if (!upload.Key.startsWith(this.settings.prefix)) continue;
          const folder = folderOf(upload.Key.slice(this.settings.prefix.length));
          if (!isDeadLeftover(options, folder, upload.Initiated)) continue;
          const { Key, UploadId } = upload;
          if (!(await this.#abortListed(action, Key, UploadId))) continue;
          removed.push(`multipart upload ${UploadId} of s3://${this.settings.bucket}/${Key}`);
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } while (keyMarker !== undefined);
    } catch (error) {
      // A store without multipart listing (stock s3rver, some S3-compatible stores): nothing it could list to sweep.
      if (!notImplemented(error)) throw translateError(this.scope, action, error);
      this.logger.debug(`${this.scope.who}: the store cannot list unfinished multipart uploads: none swept`);
    }
    return removed;
  }

  /** False when the upload ended (completed or aborted by another) between the listing and the abort. */
  async #abortListed(action: string, Key: string, UploadId: string): Promise<boolean> {
    try {
      await this.#bounded(action, (abortSignal) =>
        this.client.send(new AbortMultipartUploadCommand({ Bucket: this.settings.bucket, Key, UploadId }), {
          abortSignal,
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name !== 'NoSuchUpload') throw error;
      return false;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private objectKey(key: string): string {
    return `${this.settings.prefix}${key}`;
  }

  #objectParams(key: string) {
    const { bucket, storageClass, serverSideEncryption, sseKmsKeyId } = this.settings;
    return {
      Bucket: bucket,
      Key: this.objectKey(key),
      ...(storageClass !== undefined && { StorageClass: storageClass as never }),
      ...(serverSideEncryption !== undefined && { ServerSideEncryption: serverSideEncryption as never }),
      ...(sseKmsKeyId !== undefined && { SSEKMSKeyId: sseKmsKeyId }),
    };
  }

  async #head(key: string, action: string): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.#bounded(action, (abortSignal) =>
        this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }), {
          abortSignal,
        }),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw translateError(this.scope, action, error);
    }
  }

  /**
   * Whether a failed completion completed after all: a store can store the object and still answer an error (s3rver
   * answers the SDK's retried CompleteMultipartUpload with 500 once the first one stored it). The object under the
   * key must have every byte read, and the sha256 sent as metadata where there was one; put's own checks follow.
   */
  async #storedDespite(error: unknown, key: string, bytes: number, sha256: string): Promise<boolean> {
    const action = `put "${key}"`;
    try {
      const head = await this.#head(key, `${action}: check a failed completion`);
      const recorded = head?.Metadata?.[SHA256_METADATA];
      if (head?.ContentLength !== bytes || (recorded !== undefined && recorded !== sha256)) return false;
    } catch {
      return false;
    }
    this.logger.debug(
      `${this.scope.who}: ${action}: the store answered an error but holds the whole object`,
      {
        error: this.scope.redact(String(error)),
      },
    );
    return true;
  }

  /**
   * A live dump's sha256 is known only at the end. It is recorded as an object tag, which needs no copy of the
   * object (nor a second version in a versioned bucket); where the store has no tags (or the key may not set
   * them), by copying the object onto itself with new metadata, as far as CopyObject goes (5 GiB).
   */
  async #recordSha256(key: string, sha256: string, bytes: number): Promise<void> {
    const action = `put "${key}": record sha256`;
    try {
      await this.#bounded(action, (abortSignal) =>
        this.client.send(
          new PutObjectTaggingCommand({
            Bucket: this.settings.bucket,
            Key: this.objectKey(key),
            Tagging: { TagSet: [{ Key: SHA256_TAG, Value: sha256 }] },
          }),
          { abortSignal },
        ),
      );
    } catch (error) {
      if (!taggingRefused(error) || bytes > MAX_COPY_SIZE) throw error;
      await this.#copyWithSha256(key, sha256);
    }
  }

  async #copyWithSha256(key: string, sha256: string): Promise<void> {
    const params = this.#objectParams(key);
    await this.client.send(
      new CopyObjectCommand({
        ...params,
        CopySource: `${this.settings.bucket}/${encodeURIComponent(params.Key).replace(/%2F/g, '/')}`,
        MetadataDirective: 'REPLACE',
        ContentType: 'application/octet-stream',
        Metadata: { [SHA256_METADATA]: sha256 },
      }),
    );
  }

  /** The sha256 set with the upload (metadata), else the one recorded after it (a tag). */
  async #storedSha256(
    key: string,
    head: HeadObjectCommandOutput,
    action: string,
  ): Promise<string | undefined> {
    const fromMetadata = head.Metadata?.[SHA256_METADATA];
    if (fromMetadata !== undefined) return fromMetadata;
    try {
      const tags = await this.#bounded(action, (abortSignal) =>
        this.client.send(
          new GetObjectTaggingCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }),
          { abortSignal },
        ),
      );
      return tags.TagSet?.find((tag) => tag.Key === SHA256_TAG)?.Value;
    } catch (error) {
      if (isNotFound(error) || taggingUnsupported(error)) return undefined;
      throw translateError(this.scope, action, error);
    }
  }

  /** lib-storage aborts on failure too, but not when the failure was the abort request itself. */
  async #abortMultipart(upload: Upload, key: string): Promise<void> {
    if (upload.uploadId === undefined) return;
    try {
      const uploadId = upload.uploadId;
      await this.#bounded('abort multipart upload', (abortSignal) =>
        this.client.send(
          new AbortMultipartUploadCommand({
            Bucket: this.settings.bucket,
            Key: this.objectKey(key),
            UploadId: uploadId,
          }),
          { abortSignal },
        ),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchUpload') return;
      this.logger.warn(
        `${this.scope.who}: could not abort multipart upload ${upload.uploadId}; its parts stay billed until a ` +
          'lifecycle rule (AbortIncompleteMultipartUpload) removes them',
        { error: this.scope.redact(String(error)) },
      );
    }
  }

  #deleteObject(key: string, action: string): Promise<unknown> {
    return this.#bounded(action, (abortSignal) =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }), {
        abortSignal,
      }),
    );
  }

  /** ListObjectsV2 page by page, each page within operationTimeoutMs. */
  async *#pages(prefix: string, action: string): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const continuation = token;
      const page = await this.#bounded(action, (abortSignal) =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.settings.bucket,
            Prefix: prefix,
            ...(continuation !== undefined && { ContinuationToken: continuation }),
          }),
          { abortSignal },
        ),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /**
   * Runs a request that moves no object data within operationTimeoutMs, SDK attempts included. `signal` (the
   * caller's) stays attached to what the request returns, so it still cancels a download's body.
   */
  async #bounded<T>(
    action: string,
    request: (abortSignal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const timeoutMs = this.settings.operationTimeoutMs;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    try {
      return await request(signal ? AbortSignal.any([deadline.signal, signal]) : deadline.signal);
    } catch (error) {
      if (deadline.signal.aborted && !signal?.aborted) throw operationTimeout(this.scope, action, timeoutMs);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async #deleteQuietly(key: string): Promise<void> {
    try {
      await this.#deleteObject(key, `delete the rejected object "${key}"`);
    } catch (error) {
      this.logger.warn(`${this.scope.who}: could not delete the rejected object "${key}"`, {
        error: this.scope.redact(String(error)),
      });
    }
  }
}

/** The store lacks the operation (S3-compatible stores answer 501 NotImplemented or 405). */
function notImplemented(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'NotImplemented' || $metadata?.httpStatusCode === 501 || $metadata?.httpStatusCode === 405;
}

/** The store has no object tags. */
const taggingUnsupported = notImplemented;

/** Tags cannot be set here: unsupported, or the key lacks s3:PutObjectTagging. */
function taggingRefused(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  return taggingUnsupported(error) || name === 'AccessDenied' || $metadata?.httpStatusCode === 403;
}
