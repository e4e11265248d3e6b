import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destinationSuite, testContext } from '@tricopy/testkit';
import plugin, { localOptionsSchema } from './index.js';

for (const fsync of [true, false]) {
  destinationSuite(`local (fsync ${fsync})`, {
    create: async () => {
      const base = await mkdtemp(join(tmpdir(), 'tricopy-local-'));
      const options = localOptionsSchema.parse({ path: join(base, 'store'), fsync });
      const destination = await plugin.create(options, testContext({ name: 'local-test', configDir: base }));
      return { destination, cleanup: () => rm(base, { recursive: true, force: true }) };
    },
    vanishedMessage: /by someone else while it was being written/,
  });
}
