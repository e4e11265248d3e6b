// An endpoint that is not S3 (a web page, a captive portal, a proxy's error page) answers every request with HTML.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { type Destination, silentLogger, TricopyError } from '@tricopy/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, { s3OptionsSchema } from './index.js';

const PAGE = {
  type: 'text/html; charset=utf-8',
  body: '<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>',
};
let answer = PAGE;
let server: Server;
let endpoint = '';
let destination: Destination;

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    response.writeHead(200, { 'content-type': answer.type });
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const options = s3OptionsSchema.parse({
    bucket: 'backups',
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'AKIAEXAMPLE',
    secretAccessKey: 'not-a-real-secret',
    maxAttempts: 1,
  });
  destination = await plugin.create(options, {
    name: 'cloud',
    configDir: '/',
    workDir: '/tmp',
    logger: silentLogger,
    redact: (text) => text,
  });
});
afterAll(async () => {
  await destination?.close?.();
  await new Promise((resolve) => server?.close(resolve));
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(TricopyError.isInstance(error), String(error)).toBe(true);
  return error as Error;
}

const notS3 = (type: string) =>
  new RegExp(
    `the answer of http://127\\.0\\.0\\.1:\\d+ is not S3 XML \\(HTTP 200, ${type}\\): check endpoint`,
  );
const NOT_S3 = notS3('text/html');

describe('s3 destination against an endpoint that answers HTML', () => {
  it('list says the answer is not S3 and to check endpoint, in one line, without the SDK hint', async () => {
    const error = await failure(
      (async () => {
        for await (const _ of destination.list('app/')) break;
      })(),
    );
    expect(error.message).toMatch(/^destination "cloud": list "app\/": /);
    expect(error.message).toMatch(NOT_S3);
    expect(error.message).not.toMatch(/Deserialization error|\$response|\n/);
  });

  it('put says the same, and sweep too', async () => {
    const put = await failure(destination.put('app/b1/db.dump', Readable.from([Buffer.from('x')])));
    expect(put.message).toMatch(/^destination "cloud": put "app\/b1\/db.dump": /);
    expect(put.message).toMatch(NOT_S3);
    const sweep = await failure(destination.sweep?.('app/', { olderThan: new Date() }) ?? Promise.resolve());
    expect(sweep.message).toMatch(NOT_S3);
  });

  it('an answer that is no XML at all is named the same way, not as a raw "Deserialization error"', async () => {
    answer = { type: 'application/xml', body: 'garbage, not XML' };
    try {
      const error = await failure(
        destination.sweep?.('app/', { olderThan: new Date() }) ?? Promise.resolve(),
      );
      expect(error.message).toMatch(notS3('application/xml'));
      expect(error.message).not.toMatch(/Deserialization error|\n/);
    } finally {
      answer = PAGE;
    }
  });
});
