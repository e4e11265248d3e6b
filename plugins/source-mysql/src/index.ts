import { CONTRACT_VERSION, type SourcePlugin } from '@tricopy/contract';
import { type MysqlOptions, mysqlOptionsSchema } from './options.js';
import { MysqlSource } from './source.js';

const plugin: SourcePlugin<MysqlOptions> = {
  kind: 'source',
  contractVersion: CONTRACT_VERSION,
  type: 'mysql',
  optionsSchema: mysqlOptionsSchema,
  secretOptions: ['password'],
  create: (options, context) => new MysqlSource(options, context),
};

export default plugin;
export { DumpScanner } from './dump-scanner.js';
export { RESTORE_TEST_PREFIX } from './restore.js';
export { type MysqlOptions, MysqlSource, mysqlOptionsSchema };
