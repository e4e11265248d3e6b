import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type SshdServer, startSshd } from '@tricopy/test-servers';
import { destinationSuite, testContext } from '@tricopy/testkit';
import { afterAll, beforeAll } from 'vitest';
import plugin, { sftpOptionsSchema } from './index.js';

let server: SshdServer;
beforeAll(async () => {
  server = await startSshd();
});
afterAll(async () => {
  await server?.stop();
});

destinationSuite('sftp', {
  async create() {
    const root = join(server.rootDir, randomUUID());
    const options = sftpOptionsSchema.parse({
      host: server.host,
      port: server.port,
      username: server.username,
      privateKey: server.privateKeyPath,
      hostKey: server.hostKeyFingerprint,
      path: root,
    });
    const destination = await plugin.create(options, testContext({ name: 'nas' }));
    return { destination, cleanup: () => rm(root, { recursive: true, force: true }) };
  },
  vanishedMessage: /by someone else while it was being written/,
});
