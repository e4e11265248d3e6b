import { CONTRACT_VERSION, resolveConfigPath, type SourcePlugin } from '@tricopy/contract';
import { type SqliteOptions, sqliteOptionsSchema } from './options.js';
import { SqliteSource } from './sqlite-source.js';

export { type SqliteOptions, sqliteOptionsSchema } from './options.js';
export { SQLITE_FORMAT, SqliteSource } from './sqlite-source.js';

const plugin: SourcePlugin<SqliteOptions> = {
  kind: 'source',
  contractVersion: CONTRACT_VERSION,
  type: 'sqlite',
  optionsSchema: sqliteOptionsSchema,
  create(options, context) {
    return new SqliteSource({
      path: resolveConfigPath(context.configDir, options.path),
      busyTimeoutMs: options.busyTimeoutMs,
      name: context.name,
      workDir: context.workDir,
      logger: context.logger,
    });
  },
};

export default plugin;
