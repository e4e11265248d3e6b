// Runs s3rver in its own process (started by startS3 with `node --openssl-legacy-provider`), so tests can kill it.
// argv: <directory> <port> <bucket> [no-tagging]. Reports `{ ready: true }` over IPC once listening.
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import S3rver from 's3rver';

const [directory, portText, bucket, ...modes] = process.argv.slice(2);
const withoutTagging = modes.includes('no-tagging');
/** As stock s3rver 3.7: ListMultipartUploads answered 501 NotImplemented. */
const stockListing = modes.includes('no-multipart-listing');
if (directory === undefined || portText === undefined || bucket === undefined) {
  throw new Error('usage: s3-child.js <directory> <port> <bucket>');
}

const s3rver = new S3rver({
  directory,
  silent: false,
  configureBuckets: [{ name: bucket, configs: [] }],
  vhostBuckets: false,
});
await s3rver.configureBuckets();
const handle = s3rver.callback();

/** s3rver 3.7 answers AbortMultipartUpload with 405 and keeps the parts; real S3 removes them. */
const abortMultipartUpload = /^\/([^/?]+)\/[^?]+\?(?:.*&)?uploadId=([0-9a-f]+)(?:&|$)/;

/** s3rver 3.7 lacks ListMultipartUploads (`GET /bucket?uploads`); real S3 lists the unfinished uploads. */
const listMultipartUploads = /^\/([^/?]+)\/?\?(?:.*&)?uploads(?:=[^&]*)?(?:&|$)/;

async function uploadsXml(bucketName: string, prefix: string): Promise<string> {
  const folder = join(directory!, bucketName, '._S3rver_uploads');
  const entries: string[] = [];
  for (const uploadId of await readdir(folder).catch(() => [] as string[])) {
    const keyFile = join(folder, uploadId, 'key');
    const key = await readFile(keyFile, 'utf8').catch(() => undefined);
    if (key === undefined || !key.startsWith(prefix)) continue;
    const initiated = (await stat(keyFile)).mtime.toISOString();
    const escaped = key.replaceAll('&', '&amp;').replaceAll('<', '&lt;');
    entries.push(
      `<Upload><Key>${escaped}</Key><UploadId>${uploadId}</UploadId><Initiated>${initiated}</Initiated></Upload>`,
    );
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Bucket>${bucketName}</Bucket><IsTruncated>false</IsTruncated>${entries.join('')}</ListMultipartUploadsResult>`
  );
}

/** UploadPart: `PUT /bucket/key?partNumber=N&uploadId=ID`. */
const uploadPart = /^\/([^/?]+)\/[^?]+\?(?:.*&)?uploadId=([0-9a-f]+)(?:&|$)/;

/**
 * Real S3 answers NoSuchUpload to a part sent after its upload was aborted; s3rver 3.7 creates the upload's folder
 * again. The abort waits for the parts still being written (s3rver's handler settles after its last write), then
 * removes the folder, so nothing of an aborted upload is left once the abort has been answered.
 */
const abortedUploads = new Set<string>();
const partsInFlight = new Map<string, Set<Promise<void>>>();
/** Real S3 completes or aborts an upload, never both: an abort that meets a completion waits for it. */
const completions = new Map<string, Promise<void>>();

function uploadFolder(bucketName: string, uploadId: string): string {
  return join(directory!, decodeURIComponent(bucketName), '._S3rver_uploads', uploadId);
}

function servePart(request: IncomingMessage, response: ServerResponse): boolean {
  const part = request.method === 'PUT' ? uploadPart.exec(request.url ?? '') : null;
  if (!part) return false;
  const [, bucketName, uploadId] = part as unknown as [string, string, string];
  if (abortedUploads.has(uploadId)) {
    refuseAbortedPart(request, response, uploadId);
    return true;
  }
  const parts = partsInFlight.get(uploadId) ?? new Set<Promise<void>>();
  partsInFlight.set(uploadId, parts);
  const written: Promise<void> = Promise.resolve(handle(request, response))
    .catch(() => undefined)
    .then(async () => {
      parts.delete(written);
      if (abortedUploads.has(uploadId))
        await rm(uploadFolder(bucketName, uploadId), { recursive: true, force: true });
    });
  parts.add(written);
  return true;
}

/** CompleteMultipartUpload: `POST /bucket/key?uploadId=ID`; after an abort, S3 answers NoSuchUpload. */
function serveCompletion(request: IncomingMessage, response: ServerResponse): boolean {
  const completion = request.method === 'POST' ? uploadPart.exec(request.url ?? '') : null;
  if (!completion) return false;
  const uploadId = completion[2] as string;
  if (abortedUploads.has(uploadId)) {
    refuseAbortedPart(request, response, uploadId);
    return true;
  }
  const done = new Promise<void>((resolve) => response.on('close', resolve));
  completions.set(uploadId, done);
  handleReplacing(request, response);
  return true;
}

/**
 * Answered once the request's body is read, as S3 does: a 404 sent while a part's body is still being written makes
 * Node close the connection under the client, which then reports a reset instead of NoSuchUpload.
 */
function refuseAbortedPart(request: IncomingMessage, response: ServerResponse, uploadId: string): void {
  const refuse = () => {
    response.statusCode = 404;
    response.setHeader('content-type', 'application/xml');
    response.end(
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code>' +
        `<Message>The specified upload does not exist.</Message><UploadId>${uploadId}</UploadId></Error>`,
    );
  };
  if (request.readableEnded) refuse();
  else request.once('end', refuse).resume();
}

/** Whether the upload was aborted (false: it had been completed, and S3 answers NoSuchUpload). */
async function abortUpload(bucketName: string, uploadId: string): Promise<boolean> {
  const completing = completions.get(uploadId);
  if (completing !== undefined) {
    await completing;
    const folderLeft = await stat(uploadFolder(bucketName, uploadId)).then(
      () => true,
      () => false,
    );
    if (!folderLeft) return false;
  }
  abortedUploads.add(uploadId);
  const parts = [...(partsInFlight.get(uploadId) ?? [])];
  const stuck = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
  await Promise.race([Promise.all(parts), stuck]);
  await rm(uploadFolder(bucketName, uploadId), { recursive: true, force: true });
  return true;
}

function refuseTagging(request: IncomingMessage, response: ServerResponse): boolean {
  if (!withoutTagging || !new URL(request.url ?? '', 'http://localhost').searchParams.has('tagging'))
    return false;
  return notImplemented(request, response);
}

function notImplemented(request: IncomingMessage, response: ServerResponse): true {
  request.resume();
  response.statusCode = 501;
  response.setHeader('content-type', 'application/xml');
  response.end(
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code>' +
      '<Message>A header you provided implies functionality that is not implemented</Message></Error>',
  );
  return true;
}

const server = createServer((request, response) => {
  if (refuseTagging(request, response)) return;
  if (servePart(request, response)) return;
  if (serveCompletion(request, response)) return;
  const listing = request.method === 'GET' ? listMultipartUploads.exec(request.url ?? '') : null;
  if (listing && stockListing) {
    notImplemented(request, response);
    return;
  }
  if (listing) {
    const bucketName = decodeURIComponent(listing[1]!);
    const prefix = new URL(request.url ?? '', 'http://localhost').searchParams.get('prefix') ?? '';
    uploadsXml(bucketName, prefix).then(
      (xml) => {
        response.setHeader('content-type', 'application/xml');
        response.end(xml);
      },
      (error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      },
    );
    return;
  }
  const match = request.method === 'DELETE' ? abortMultipartUpload.exec(request.url ?? '') : null;
  if (match) {
    const [, bucketName, uploadId] = match;
    console.log(`abort multipart upload ${uploadId} in ${bucketName}`);
    abortUpload(bucketName!, uploadId!).then(
      (aborted) => {
        if (!aborted) return refuseAbortedPart(request, response, uploadId!);
        response.statusCode = 204;
        response.end();
      },
      (error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      },
    );
    return;
  }
  handleReplacing(request, response);
});

function handleReplacing(request: IncomingMessage, response: ServerResponse): void {
  const replaced = replacedObject(request);
  if (replaced === undefined) return void handle(request, response);
  // Before s3rver sees the request, so a tag request that follows it finds the new object without tags.
  s3rver.store.deleteSubresource(replaced.bucket, replaced.key, 'tagging').then(
    () => handle(request, response),
    () => handle(request, response),
  );
}

/**
 * The object a request deletes or replaces (PutObject, CompleteMultipartUpload, DeleteObject). s3rver 3.7 keeps the
 * old object's tags then; on S3 a new object starts without any, and a deleted one's are gone.
 */
function replacedObject(request: IncomingMessage): { bucket: string; key: string } | undefined {
  const url = new URL(request.url ?? '', 'http://localhost');
  const [, bucket, ...rest] = url.pathname.split('/');
  if (bucket === undefined || rest.length === 0) return undefined;
  const query = url.searchParams;
  const replaces =
    (request.method === 'PUT' && !query.has('tagging') && !query.has('uploadId')) ||
    (request.method === 'POST' && query.has('uploadId')) ||
    (request.method === 'DELETE' && !query.has('tagging') && !query.has('uploadId'));
  return replaces
    ? { bucket: decodeURIComponent(bucket), key: decodeURIComponent(rest.join('/')) }
    : undefined;
}

server.listen(Number(portText), '127.0.0.1', () => process.send?.({ ready: true }));
process.on('message', (message: { createBucket?: string }) => {
  if (message.createBucket !== undefined) {
    void s3rver.store
      .putBucket(message.createBucket)
      .then(() => process.send?.({ created: message.createBucket }));
  }
});
process.on('disconnect', () => process.exit(0));
