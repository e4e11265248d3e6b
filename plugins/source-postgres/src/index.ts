import { CONTRACT_VERSION, type SourcePlugin } from '@tricopy/contract';
import { PostgresBaseSource } from './base-source.js';
import { type PostgresOptions, postgresOptionsSchema } from './options.js';
import { PostgresSource } from './source.js';

const plugin: SourcePlugin<PostgresOptions> = {
  kind: 'source',
  contractVersion: CONTRACT_VERSION,
  type: 'postgres',
  optionsSchema: postgresOptionsSchema,
  secretOptions: ['password'],
  create: (options, context) =>
    options.mode === 'base' ? new PostgresBaseSource(options, context) : new PostgresSource(options, context),
};

export default plugin;
export type { BaseBackupDetails } from './base-backup.js';
export { parseToolVersion } from './binaries.js';
export { RESTORE_TEST_PREFIX } from './restore.js';
export { PostgresBaseSource, type PostgresOptions, PostgresSource, postgresOptionsSchema };
