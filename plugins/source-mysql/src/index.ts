import { CONTRACT_VERSION, type SourcePlugin } from '@tricopy/contract';
import { type MysqlOptions, mysqlOptionsSchema } from './options.js';

const plugin: SourcePlugin<MysqlOptions> = {
  kind: 'source',
  contractVersion: CONTRACT_VERSION,
  type: 'mysql',
  optionsSchema: mysqlOptionsSchema,
  secretOptions: ['password'],
  // mysql2 and execa are loaded when the source is opened, not with the config: a command or job that never dumps
  // or restores MariaDB/MySQL need not carry them.
  create: async (options, context) => new (await import('./source.js')).MysqlSource(options, context),
};

export default plugin;
export { RESTORE_TEST_PREFIX } from '@tricopy/plugin-support';
export { DumpScanner } from './dump-scanner.js';
export type { MysqlSource } from './source.js';
export { type MysqlOptions, mysqlOptionsSchema };
