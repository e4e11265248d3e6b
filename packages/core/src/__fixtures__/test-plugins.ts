import type { PluginTable } from '../plugins/builtins.js';

const SOURCES = { sqlite: 'source-sqlite', postgres: 'source-postgres', mysql: 'source-mysql' } as const;
const DESTINATIONS = { local: 'destination-local', sftp: 'destination-sftp', s3: 'destination-s3' } as const;

function packages(folders: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(folders).map(([type, folder]) => [type, `@tricopy/${folder}`]));
}

/**
 * The built-ins for core's own tests: the real plugins, read from their builds in the workspace (core lists no
 * plugin among its dependencies; turbo.json builds them before core's tests).
 */
export const TEST_PLUGINS: PluginTable = {
  sources: packages(SOURCES),
  destinations: packages(DESTINATIONS),
  resolve: (packageName) =>
    new URL(`../../../../plugins/${packageName.replace('@tricopy/', '')}/dist/index.js`, import.meta.url)
      .href,
};
