import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type S3Server, startS3 } from '@tricopy/test-servers';
import { destinationSuite, testContext } from '@tricopy/testkit';
import { afterAll, beforeAll } from 'vitest';
import plugin, { s3OptionsSchema } from './index.js';

let server: S3Server;
beforeAll(async () => {
  server = await startS3();
});
afterAll(async () => {
  await server?.stop();
});

destinationSuite('s3', {
  async create() {
    const prefix = `conformance-${randomUUID()}`;
    const options = s3OptionsSchema.parse({
      bucket: server.bucket,
      prefix,
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      partSize: 5 * 1024 * 1024,
    });
    const destination = await plugin.create(options, testContext({ name: 'cloud' }));
    return {
      destination,
      cleanup: () => rm(join(server.directory, server.bucket, prefix), { recursive: true, force: true }),
    };
  },
  vanishedMessage: /by someone else while it was being written/,
});
