import { CONTRACT_VERSION, type DestinationPlugin } from '@tricopy/contract';
import { secretOptions, type WebdavOptions, webdavOptionsSchema } from './options.js';
import { WebdavDestination } from './webdav-destination.js';

export { type WebdavOptions, webdavOptionsSchema } from './options.js';
export { TEMP_PREFIX, WebdavDestination } from './webdav-destination.js';

const plugin: DestinationPlugin<WebdavOptions> = {
  kind: 'destination',
  contractVersion: CONTRACT_VERSION,
  type: 'webdav',
  optionsSchema: webdavOptionsSchema,
  secretOptions,
  defaults: { media: 'nas', offsite: false },

  create(options, context) {
    const base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    const credentials =
      options.username === undefined ? undefined : `${options.username}:${options.password ?? ''}`;
    return new WebdavDestination(
      {
        base,
        verifyUploads: options.verifyUploads,
        http: {
          who: `destination "${context.name}"`,
          ...(credentials === undefined
            ? {}
            : { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` }),
          timeoutMs: options.timeoutMs,
          retries: options.retries,
          redact: (text) => context.redact(text),
        },
      },
      context.logger,
    );
  },
};

export default plugin;
