import { CONTRACT_VERSION, type DestinationPlugin } from '@tricopy/contract';
import type { Scope } from './errors.js';
import { type RcloneOptions, rcloneOptionsSchema } from './options.js';
import { RcloneDestination } from './rclone-destination.js';
import { resolveRemote } from './remote.js';

export { type RcloneOptions, rcloneOptionsSchema } from './options.js';
export { RcloneDestination, TEMP_PREFIX } from './rclone-destination.js';

const plugin: DestinationPlugin<RcloneOptions> = {
  kind: 'destination',
  contractVersion: CONTRACT_VERSION,
  type: 'rclone',
  optionsSchema: rcloneOptionsSchema,
  defaults: { media: 'cloud', offsite: true },

  async create(options, context) {
    const remote = await resolveRemote(options, context);
    const scope: Scope = {
      who: `destination "${context.name}"`,
      program: options.rclone,
      redact: (text) =>
        context.redact(remote.secrets.reduce((out, secret) => out.replaceAll(secret, '***'), text)),
    };
    return new RcloneDestination(remote, scope, context.logger);
  },
};

export default plugin;
