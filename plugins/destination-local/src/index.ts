import { isAbsolute, resolve } from 'node:path';
import { CONTRACT_VERSION, type DestinationPlugin } from '@tricopy/contract';
import { LocalDestination } from './local-destination.js';
import { type LocalOptions, localOptionsSchema } from './options.js';

export { LocalDestination, TEMP_PREFIX } from './local-destination.js';
export { type LocalOptions, localOptionsSchema } from './options.js';

const plugin: DestinationPlugin<LocalOptions> = {
  kind: 'destination',
  contractVersion: CONTRACT_VERSION,
  type: 'local',
  optionsSchema: localOptionsSchema,
  defaults: { media: 'disk', offsite: false },
  create(options, context) {
    const root = isAbsolute(options.path) ? resolve(options.path) : resolve(context.configDir, options.path);
    return new LocalDestination({ root, fsync: options.fsync, name: context.name, logger: context.logger });
  },
};

export default plugin;
