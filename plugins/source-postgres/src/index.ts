import { CONTRACT_VERSION, type SourcePlugin } from '@tricopy/contract';
import { type PostgresOptions, postgresOptionsSchema } from './options.js';

const plugin: SourcePlugin<PostgresOptions> = {
  kind: 'source',
  contractVersion: CONTRACT_VERSION,
  type: 'postgres',
  optionsSchema: postgresOptionsSchema,
  secretOptions: ['password'],
  // pg and execa are loaded when the source is opened, not with the config: a command or job that never dumps or
  // restores PostgreSQL need not carry them.
  create: async (options, context) =>
    options.mode === 'base'
      ? new (await import('./base-source.js')).PostgresBaseSource(options, context)
      : new (await import('./source.js')).PostgresSource(options, context),
};

export default plugin;
export { RESTORE_TEST_PREFIX } from '@tricopy/plugin-support';
export type { BaseBackupDetails } from './base-backup.js';
export type { PostgresBaseSource } from './base-source.js';
export { parseToolVersion } from './binaries.js';
export type { PostgresSource } from './source.js';
export { type PostgresOptions, postgresOptionsSchema };
