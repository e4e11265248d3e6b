import type { PluginTable } from '../plugins/builtins.js';

/**
 * The built-ins core's own tests use: `local`, the real local-disk destination, read from its build in the workspace
 * (core lists no plugin among its dependencies; turbo.json builds it before core's tests).
 */
export const TEST_PLUGINS: PluginTable = {
  sources: {},
  destinations: { local: '@tricopy/destination-local' },
  resolve: () => new URL('../../../../plugins/destination-local/dist/index.js', import.meta.url).href,
};
