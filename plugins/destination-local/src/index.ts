import { CONTRACT_VERSION, type DestinationPlugin, resolveConfigPath } from '@tricopy/contract';
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
    const root = resolveConfigPath(context.configDir, options.path);
    return new LocalDestination({ root, fsync: options.fsync, name: context.name, logger: context.logger });
  },
};

export default plugin;
