import { makeTempDir } from '@tricopy/test-servers';
import { destinationSuite, testContext } from '@tricopy/testkit';
import plugin, { rcloneOptionsSchema } from './index.js';

destinationSuite('rclone (local remote)', {
  async create() {
    const folder = await makeTempDir('rclone-local');
    const options = rcloneOptionsSchema.parse({ backend: { type: 'local' }, path: `${folder.path}/copies` });
    const destination = await plugin.create(options, testContext({ name: 'disk' }));
    return { destination, cleanup: () => folder.remove() };
  },
  vanishedMessage: /by someone else while it was being written/,
});
