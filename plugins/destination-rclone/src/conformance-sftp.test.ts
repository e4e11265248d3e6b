import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type SshdServer, startSshd } from '@tricopy/test-servers';
import { destinationSuite, testContext } from '@tricopy/testkit';
import { afterAll, beforeAll } from 'vitest';
import plugin, { rcloneOptionsSchema } from './index.js';
import { sftpBackend } from './test-support/remotes.js';

let server: SshdServer;
beforeAll(async () => {
  server = await startSshd();
});
afterAll(async () => {
  await server?.stop();
});

destinationSuite('rclone (sftp remote, OpenSSH)', {
  async create() {
    const root = join(server.rootDir, randomUUID());
    const context = testContext({ name: 'nas' });
    const backend = await sftpBackend(server, context.workDir);
    const options = rcloneOptionsSchema.parse({ backend, path: root });
    const destination = await plugin.create(options, context);
    return { destination, cleanup: () => rm(root, { recursive: true, force: true }) };
  },
  vanishedMessage: /by someone else while it was being written/,
});
