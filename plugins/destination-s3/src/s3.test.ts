import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  type Destination,
  type DestinationError,
  NotFoundError,
  silentLogger,
  TricopyError,
} from '@tricopy/contract';
import { freePort, type S3Server, startS3 } from '@tricopy/test-servers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import plugin, { s3OptionsSchema } from './index.js';

const MiB = 1024 * 1024;
const SECRET = 'super-secret-value-0123456789';
let server: S3Server;
let prefixCounter = 0;
const opened: Destination[] = [];

beforeAll(async () => {
  server = await startS3();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.close?.()));
});
afterAll(async () => {
  await server?.stop();
});

async function openDestination(overrides: Record<string, unknown> = {}): Promise<{
  destination: Destination;
  prefix: string;
}> {
  const prefix = `case-${++prefixCounter}/`;
  const options = s3OptionsSchema.parse({
    bucket: server.bucket,
    prefix,
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    accessKeyId: server.accessKeyId,
    secretAccessKey: SECRET,
    partSize: 5 * MiB,
    maxAttempts: 1,
    ...overrides,
  });
  const destination = await plugin.create(options, {
    name: 'cloud',
    configDir: '/',
    workDir: '/tmp',
    logger: silentLogger,
    redact: (text) => text.replaceAll(SECRET, '***'),
  });
  opened.push(destination);
  return { destination, prefix };
}

async function failure(promise: Promise<unknown>): Promise<TricopyError> {
  try {
    await promise;
  } catch (error) {
    expect(TricopyError.isInstance(error), String(error)).toBe(true);
    expect((error as Error).message).not.toContain(SECRET);
    return error as TricopyError;
  }
  throw new Error('expected a rejection');
}

function body(
  total: number,
  onProgress?: (sent: number) => void | Promise<void>,
): Readable & { bytes: Buffer } {
  const bytes = randomBytes(total);
  let sent = 0;
  const stream = new Readable({
    async read() {
      if (sent >= total) return void this.push(null);
      const chunk = bytes.subarray(sent, sent + 256 * 1024);
      sent += chunk.length;
      try {
        await onProgress?.(sent);
      } catch (error) {
        this.destroy(error as Error);
        return;
      }
      this.push(chunk);
    },
  });
  return Object.assign(stream, { bytes });
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const objectFile = (key: string): string => join(server.directory, server.bucket, `${key}._S3rver_object`);
const pendingUploads = async (): Promise<string[]> =>
  readdir(join(server.directory, server.bucket, '._S3rver_uploads')).catch(() => []);

async function keys(destination: Destination, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const info of destination.list(prefix)) found.push(info.key);
  return found.sort();
}

/** Runs `before` ahead of every `commandName` request the destination sends, with that request's input. */
function beforeEach(
  destination: Destination,
  commandName: string,
  before: (input: never) => Promise<unknown>,
) {
  const client = (destination as unknown as { client: S3Client }).client;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === commandName) await before(args.input as never);
      return next(args);
    },
    { step: 'initialize' },
  );
}

/** Answers every `commandName` request with S3's HTTP 500 InternalError, before or after the server handled it. */
function failAround(destination: Destination, commandName: string, when: 'before' | 'after') {
  const client = (destination as unknown as { client: S3Client }).client;
  const internalError = (): Error =>
    Object.assign(new Error('We encountered an internal error. Please try again.'), {
      name: 'InternalError',
      $fault: 'server',
      $metadata: { httpStatusCode: 500 },
    });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== commandName) return next(args);
      if (when === 'after') await next(args);
      throw internalError();
    },
    { step: 'initialize' },
  );
}

function plainClient(endpoint = server.endpoint): S3Client {
  return new S3Client({
    endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
}

describe('s3 destination against s3rver', () => {
  it('streams a multipart upload, records size and sha256, readable by a plain GetObject and on disk', async () => {
    const { destination, prefix } = await openDestination();
    const input = body(12 * MiB + 777);
    const digest = sha256(input.bytes);
    const result = await destination.put('app/db.dump', input, { sha256: digest });
    expect(result).toEqual({
      size: input.bytes.length,
      location: `s3://${server.bucket}/${prefix}app/db.dump`,
    });
    expect(await destination.stat('app/db.dump')).toMatchObject({ size: input.bytes.length, sha256: digest });

    const plain = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
    const object = await plain.send(
      new GetObjectCommand({ Bucket: server.bucket, Key: `${prefix}app/db.dump` }),
    );
    expect(object.Metadata?.sha256).toBe(digest);
    expect((await buffer(object.Body as Readable)).equals(input.bytes)).toBe(true);
    plain.destroy();

    expect((await readFile(objectFile(`${prefix}app/db.dump`))).equals(input.bytes)).toBe(true);
    expect((await buffer(await destination.get('app/db.dump'))).equals(input.bytes)).toBe(true);
    expect(await pendingUploads()).toEqual([]);
  });

  it('records the sha256 of a live stream as an object tag, without copying the object', async () => {
    const { destination, prefix } = await openDestination();
    const input = body(7 * MiB);
    await destination.put('live', input);
    expect(await destination.stat('live')).toMatchObject({ size: 7 * MiB, sha256: sha256(input.bytes) });
    const plain = plainClient();
    const key = `${prefix}live`;
    const head = await plain.send(new HeadObjectCommand({ Bucket: server.bucket, Key: key }));
    expect(head.Metadata?.sha256).toBeUndefined();
    const tags = await plain.send(new GetObjectTaggingCommand({ Bucket: server.bucket, Key: key }));
    expect(tags.TagSet).toEqual([{ Key: 'tricopy-sha256', Value: sha256(input.bytes) }]);
    // Replaced by another writer: the new object has no tags, so no stale sha256 is reported for it.
    await plain.send(new PutObjectCommand({ Bucket: server.bucket, Key: key, Body: 'other bytes' }));
    expect(await destination.stat('live')).toEqual(
      expect.not.objectContaining({ sha256: expect.anything() }),
    );
    plain.destroy();
  });

  it('a store without object tags gets the live sha256 as metadata, by a copy of the object', async () => {
    const untagged = await startS3({ tagging: false });
    try {
      const { destination, prefix } = await openDestination({ endpoint: untagged.endpoint });
      const input = body(6 * MiB);
      await destination.put('live', input);
      expect(await destination.stat('live')).toMatchObject({ size: 6 * MiB, sha256: sha256(input.bytes) });
      const plain = plainClient(untagged.endpoint);
      const head = await plain.send(new HeadObjectCommand({ Bucket: untagged.bucket, Key: `${prefix}live` }));
      expect(head.Metadata?.sha256).toBe(sha256(input.bytes));
      plain.destroy();
    } finally {
      await untagged.stop();
    }
  });

  it('replaces, lists by prefix, deletes idempotently, reports missing objects', async () => {
    const { destination } = await openDestination();
    await destination.put('a/one', Readable.from([Buffer.from('first')]));
    await destination.put('a/one', Readable.from([Buffer.from('second')]));
    await destination.put('ab/two', Readable.from([Buffer.from('2')]));
    await destination.put('b/three', Readable.from([Buffer.from('3')]));
    expect((await buffer(await destination.get('a/one'))).toString()).toBe('second');
    expect(await keys(destination, '')).toEqual(['a/one', 'ab/two', 'b/three']);
    expect(await keys(destination, 'a/')).toEqual(['a/one']);
    expect(await keys(destination, 'a')).toEqual(['a/one', 'ab/two']);
    await destination.delete('a/one');
    await destination.delete('a/one');
    expect(await destination.stat('a/one')).toBeUndefined();
    expect(await failure(destination.get('a/one'))).toBeInstanceOf(NotFoundError);
    for (const key of ['../x', '/abs', 'a//b']) {
      expect((await failure(destination.put(key, Readable.from(['x'])))).code).toBe('INVALID_KEY');
    }
  });

  it('rejects and deletes an object whose bytes differ from the sha256 the engine announced', async () => {
    const { destination, prefix } = await openDestination();
    const error = await failure(
      destination.put('k', Readable.from([Buffer.from('abc')]), { sha256: '0'.repeat(64) }),
    );
    expect(error.message).toContain('differ from the expected sha256');
    expect(await destination.stat('k')).toBeUndefined();
    await expect(readFile(objectFile(`${prefix}k`))).rejects.toThrow(/ENOENT/);
  });

  it('checksumMode when_supported still stores byte-exact objects (lib-storage sends buffered parts)', async () => {
    const { destination } = await openDestination({ checksumMode: 'when_supported' });
    const input = body(6 * MiB);
    await destination.put('checksummed', input, { sha256: sha256(input.bytes) });
    expect((await buffer(await destination.get('checksummed'))).equals(input.bytes)).toBe(true);
  });

  it('an aborted multipart upload is aborted on the server: no parts left, nothing under the key', async () => {
    const { destination, prefix } = await openDestination();
    const controller = new AbortController();
    const input = body(24 * MiB, (sent) => {
      if (sent === 12 * MiB) controller.abort();
    });
    const error = await failure(destination.put('aborted', input, { signal: controller.signal }));
    expect(error.message).toBe('destination "cloud": put "aborted": aborted');
    expect(await pendingUploads()).toEqual([]);
    expect(await readFile(server.logPath, 'utf8')).toContain('abort multipart upload');
    await expect(readFile(objectFile(`${prefix}aborted`))).rejects.toThrow(/ENOENT/);
  });

  it('an abort returns only once the upload has stopped: no request for it reaches the server afterwards', async () => {
    const { destination } = await openDestination({ queueSize: 4 });
    const controller = new AbortController();
    const input = body(24 * MiB, (sent) => {
      if (sent === 11 * MiB) controller.abort();
    });
    await failure(destination.put('stopped', input, { signal: controller.signal }));
    const logged = (await readFile(server.logPath, 'utf8')).length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = (await readFile(server.logPath, 'utf8')).slice(logged);
    expect(after.split('\n').filter((line) => line.includes('stopped'))).toEqual([]);
    expect(await pendingUploads()).toEqual([]);
  });

  it('an upload aborted by another program just before it completes fails, naming the abort', async () => {
    const { destination, prefix } = await openDestination();
    const plain = plainClient();
    beforeEach(destination, 'CompleteMultipartUploadCommand', (input: { Key: string; UploadId: string }) =>
      plain.send(new AbortMultipartUploadCommand({ Bucket: server.bucket, ...input })),
    );
    const error = await failure(destination.put('raced', body(12 * MiB)));
    plain.destroy();
    expect(error.message).toMatch(/aborted by someone else while it was being written/);
    expect(await pendingUploads()).toEqual([]);
    await expect(readFile(objectFile(`${prefix}raced`))).rejects.toThrow(/ENOENT/);
  });

  it('a completion the store answers with 500 after storing the object succeeds, the object checked by HEAD', async () => {
    const { destination, prefix } = await openDestination();
    failAround(destination, 'CompleteMultipartUploadCommand', 'after');
    const input = body(12 * MiB);
    const result = await destination.put('stored', input, { sha256: sha256(input.bytes) });
    expect(result.size).toBe(12 * MiB);
    expect(await readFile(objectFile(`${prefix}stored`))).toEqual(input.bytes);
    expect(await destination.stat('stored')).toMatchObject({ size: 12 * MiB, sha256: sha256(input.bytes) });
  });

  it('a live upload whose completion answers 500 after storing the object gets its sha256 recorded', async () => {
    const { destination } = await openDestination();
    failAround(destination, 'CompleteMultipartUploadCommand', 'after');
    const input = body(12 * MiB);
    await destination.put('live', input);
    expect(await destination.stat('live')).toMatchObject({ size: 12 * MiB, sha256: sha256(input.bytes) });
  });

  it('a completion that fails before the store completes the upload still fails the put', async () => {
    const { destination, prefix } = await openDestination();
    failAround(destination, 'CompleteMultipartUploadCommand', 'before');
    const error = await failure(destination.put('lost', body(12 * MiB)));
    expect(error.message).toMatch(/failing \(InternalError\)/);
    await expect(readFile(objectFile(`${prefix}lost`))).rejects.toThrow(/ENOENT/);
  });

  it('a failed completion over an older object of another size under the key fails the put', async () => {
    const { destination, prefix } = await openDestination();
    await destination.put('older', body(6 * MiB));
    failAround(destination, 'CompleteMultipartUploadCommand', 'before');
    const error = await failure(destination.put('older', body(12 * MiB)));
    expect(error.message).toMatch(/failing \(InternalError\)/);
    expect((await readFile(objectFile(`${prefix}older`))).length).toBe(6 * MiB);
  });

  it('a failed completion over an older object of the same size but another sha256 fails the put', async () => {
    const { destination } = await openDestination();
    const older = body(12 * MiB);
    await destination.put('same-size', older, { sha256: sha256(older.bytes) });
    failAround(destination, 'CompleteMultipartUploadCommand', 'before');
    const input = body(12 * MiB);
    const error = await failure(destination.put('same-size', input, { sha256: sha256(input.bytes) }));
    expect(error.message).toMatch(/failing \(InternalError\)/);
  });

  it('a body failing mid-stream leaves no parts and nothing under the key', async () => {
    const { destination } = await openDestination();
    const input = body(24 * MiB, (sent) => {
      if (sent === 12 * MiB) throw new Error('dump tool crashed');
    });
    const error = await failure(destination.put('broken', input));
    expect(error.message).toContain('dump tool crashed');
    expect(await pendingUploads()).toEqual([]);
    expect(await keys(destination, '')).toEqual([]);
  });

  it('reports a missing bucket', async () => {
    const { destination } = await openDestination({ bucket: 'no-such-bucket' });
    const error = (await failure(destination.put('k', Readable.from(['x'])))) as DestinationError;
    expect(error.message).toContain('bucket "no-such-bucket" does not exist');
    expect(error.retryable).toBe(false);
  });

  it('reports an unknown access key id without printing the secret', async () => {
    const { destination } = await openDestination({ accessKeyId: 'WRONGKEYID' });
    const error = (await failure(destination.put('k', Readable.from(['x'])))) as DestinationError;
    expect(error.message).toContain('the access key id is not known to http://127.0.0.1:');
    expect(error.message).toContain('check accessKeyId');
    expect(error.retryable).toBe(false);
    // HEAD answers carry no error code: the message still says what to check.
    const headError = await failure(destination.stat('k'));
    expect(headError.message).toContain('check accessKeyId/secretAccessKey');
  });

  it('reports a refused connection', async () => {
    const { destination } = await openDestination({ endpoint: `http://127.0.0.1:${await freePort()}` });
    const error = (await failure(destination.put('k', Readable.from(['x'])))) as DestinationError;
    expect(error.message).toContain('connection refused by http://127.0.0.1:');
    expect(error.retryable).toBe(true);
  });

  it('times out on an endpoint that accepts connections and never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      const { destination } = await openDestination({
        endpoint: `http://127.0.0.1:${port}`,
        requestTimeoutMs: 1_500,
      });
      const error = (await failure(destination.stat('k'))) as DestinationError;
      expect(error.message).toContain('did not answer in time');
      expect(error.retryable).toBe(true);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('s3 destination against an endpoint that accepts connections and never answers', () => {
  const sockets: Socket[] = [];
  let silent: ReturnType<typeof createServer>;
  let endpoint: string;
  beforeAll(async () => {
    silent = createServer((socket) => void sockets.push(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('operationTimeoutMs bounds stat, list, get and delete, whatever requestTimeoutMs says', async () => {
    const { destination } = await openDestination({
      endpoint,
      requestTimeoutMs: 600_000,
      operationTimeoutMs: 1_000,
      maxAttempts: 3,
    });
    const calls: Array<[string, Promise<unknown>]> = [
      ['stat "k"', destination.stat('k')],
      [
        'list "db/"',
        (async () => {
          for await (const _ of destination.list('db/')) void _;
        })(),
      ],
      ['get "k"', destination.get('k')],
      ['delete "k"', destination.delete('k')],
    ];
    for (const [action, call] of calls) {
      const error = (await failure(call)) as DestinationError;
      expect(error.message).toBe(
        `destination "cloud": ${action}: ${endpoint} did not answer within 1000 ms (operationTimeoutMs)`,
      );
      expect(error.retryable).toBe(true);
    }
  }, 60_000);

  it('an upload ends with a clear error once the connection stays silent requestTimeoutMs', async () => {
    const { destination } = await openDestination({ endpoint, requestTimeoutMs: 1_000, maxAttempts: 2 });
    const error = (await failure(
      destination.put('db/x.dump', Readable.from([randomBytes(1024)])),
    )) as DestinationError;
    expect(error.message).toMatch(/^destination "cloud": put "db\/x.dump": .*did not answer in time/);
    expect(error.retryable).toBe(true);
  }, 60_000);
});

describe('s3 destination when the server dies mid-upload', () => {
  it('rejects clearly and nothing appears under the key after a restart', async () => {
    const { destination, prefix } = await openDestination();
    let killed = false;
    const input = body(32 * MiB, async (sent) => {
      if (!killed && sent >= 12 * MiB) {
        killed = true;
        await server.kill();
      }
    });
    const error = (await failure(destination.put('db/big.dump', input))) as DestinationError;
    expect(error.message).toMatch(
      /destination "cloud": put "db\/big.dump": connection (refused by|to) .*127\.0\.0\.1/,
    );
    expect(error.retryable).toBe(true);

    await server.restart();
    expect(await destination.stat('db/big.dump')).toBeUndefined();
    expect(await keys(destination, '')).toEqual([]);
    await expect(readFile(objectFile(`${prefix}db/big.dump`))).rejects.toThrow(/ENOENT/);

    await destination.put('db/after-restart', Readable.from([Buffer.from('ok')]));
    expect(await keys(destination, '')).toEqual(['db/after-restart']);
  });
});

describe('s3 destination sweep', () => {
  it('aborts the multipart uploads a killed process left under the prefix, and nothing else', async () => {
    const { destination, prefix } = await openDestination();
    await destination.put('app/b1/db.dump', Readable.from([Buffer.from('kept')]));
    const plain = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
    const started = async (key: string): Promise<string> => {
      const { UploadId } = await plain.send(
        new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: key }),
      );
      await plain.send(
        new UploadPartCommand({
          Bucket: server.bucket,
          Key: key,
          UploadId,
          PartNumber: 1,
          Body: randomBytes(1024),
        }),
      );
      return UploadId as string;
    };
    const dead = await started(`${prefix}app/b2/db.dump`);
    const otherJob = await started(`${prefix}other/b9/db.dump`);
    const mine = await started(`${prefix}app/b3/db.dump`);
    plain.destroy();
    const before = await pendingUploads();
    expect(before).toEqual(expect.arrayContaining([dead, otherJob, mine]));

    const hourAgo = new Date(Date.now() - 3_600_000);
    expect(await destination.sweep?.('app/', { olderThan: hourAgo })).toEqual([]);
    expect(
      await destination.sweep?.('app/', { olderThan: hourAgo, abandoned: (f) => f === 'app/b3/' }),
    ).toEqual([`multipart upload ${mine} of s3://${server.bucket}/${prefix}app/b3/db.dump`]);
    const removed = await destination.sweep?.('app/', { olderThan: new Date(Date.now() + 1_000) });
    expect(removed).toEqual([`multipart upload ${dead} of s3://${server.bucket}/${prefix}app/b2/db.dump`]);
    const after = await pendingUploads();
    expect(after).toContain(otherJob);
    expect(after).not.toContain(dead);
    expect(await keys(destination, '')).toEqual(['app/b1/db.dump']);
  });

  it('an upload completed between the listing and its abort is kept, not reported, and the sweep goes on', async () => {
    const { destination, prefix } = await openDestination();
    const plain = plainClient();
    const started = async (key: string): Promise<{ UploadId: string; ETag: string }> => {
      const { UploadId } = await plain.send(
        new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: key }),
      );
      const part = { Bucket: server.bucket, Key: key, UploadId, PartNumber: 1, Body: Buffer.from(key) };
      const { ETag } = await plain.send(new UploadPartCommand(part));
      return { UploadId: UploadId as string, ETag: ETag as string };
    };
    const finishing = await started(`${prefix}app/b1/db.dump`);
    const dead = await started(`${prefix}app/b2/db.dump`);
    beforeEach(
      destination,
      'AbortMultipartUploadCommand',
      async (input: { Key: string; UploadId: string }) => {
        if (input.UploadId !== finishing.UploadId) return;
        const parts = { Parts: [{ PartNumber: 1, ETag: finishing.ETag }] };
        await plain.send(
          new CompleteMultipartUploadCommand({ Bucket: server.bucket, ...input, MultipartUpload: parts }),
        );
      },
    );
    const removed = await destination.sweep?.('app/', { olderThan: new Date(Date.now() + 1_000) });
    plain.destroy();
    expect(removed).toEqual([
      `multipart upload ${dead.UploadId} of s3://${server.bucket}/${prefix}app/b2/db.dump`,
    ]);
    expect((await buffer(await destination.get('app/b1/db.dump'))).toString()).toBe(
      `${prefix}app/b1/db.dump`,
    );
  });
});
