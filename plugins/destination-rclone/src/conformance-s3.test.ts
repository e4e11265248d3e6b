import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type S3Server, startS3 } from '@tricopy/test-servers';
import { destinationSuite, testContext } from '@tricopy/testkit';
import { afterAll, beforeAll } from 'vitest';
import plugin, { rcloneOptionsSchema } from './index.js';
import { s3Backend } from './test-support/remotes.js';

let server: S3Server;
beforeAll(async () => {
  server = await startS3();
});
afterAll(async () => {
  await server?.stop();
});

destinationSuite('rclone (s3 remote, s3rver)', {
  async create() {
    const prefix = `conformance-${randomUUID()}`;
    const options = rcloneOptionsSchema.parse({
      backend: s3Backend(server),
      path: `${server.bucket}/${prefix}`,
    });
    const destination = await plugin.create(options, testContext({ name: 'cloud' }));
    return {
      destination,
      cleanup: () => rm(join(server.directory, server.bucket, prefix), { recursive: true, force: true }),
    };
  },
  vanishedMessage: /by someone else while it was being written/,
});
