import {
  type DestinationPlugin,
  type Plugin,
  type SourcePlugin,
  SUPPORTED_CONTRACT_VERSIONS,
} from '@tricopy/contract';
import { describeError, PluginLoadError } from '../util/errors.js';
import type { PluginTable } from './builtins.js';
import { labelledSchema } from './labelled-schema.js';
import { isPathSpecifier, type Located, locateBuiltin, locatePackage, locatePath } from './resolve.js';
import { expectedShape, shapeProblem } from './shape.js';
import { suggestBuiltin } from './suggest.js';

type Kind = Plugin['kind'];

const cache = new Map<string, Promise<Plugin>>();

export function loadSourcePlugin(
  type: string,
  configDir: string,
  table: PluginTable,
): Promise<SourcePlugin<unknown>> {
  return loadPlugin('source', type, configDir, table) as Promise<SourcePlugin<unknown>>;
}

export function loadDestinationPlugin(
  type: string,
  configDir: string,
  table: PluginTable,
): Promise<DestinationPlugin<unknown>> {
  return loadPlugin('destination', type, configDir, table) as Promise<DestinationPlugin<unknown>>;
}

/**
 * `type` is a built-in name from `table`, an npm package name resolved from the config file's folder (then from tricopy's
 * own installation), or a path (relative to the config file's folder) to a module or a package folder.
 * Every failure is a one-line PluginLoadError naming the plugin, what was expected and what was found.
 */
function loadPlugin(kind: Kind, type: string, configDir: string, table: PluginTable): Promise<Plugin> {
  const builtins = kind === 'source' ? table.sources : table.destinations;
  const cacheKey = `${kind}\0${type}\0${configDir}\0${builtins[type] ?? ''}`;
  let loading = cache.get(cacheKey);
  if (loading === undefined) {
    loading = importPlugin(kind, type, configDir, table);
    cache.set(cacheKey, loading);
  }
  return loading;
}

async function importPlugin(
  kind: Kind,
  type: string,
  configDir: string,
  table: PluginTable,
): Promise<Plugin> {
  const builtins = kind === 'source' ? table.sources : table.destinations;
  const label = `${kind} plugin "${type}"`;
  const builtin = builtins[type];
  let located: Located;
  if (builtin !== undefined) located = locateBuiltin(builtin, table.resolve);
  else if (isPathSpecifier(type)) located = locatePath(type, configDir);
  else located = locatePackage(type, configDir);

  if (!located.found && builtin !== undefined) {
    throw new PluginLoadError(`built-in ${label} (${builtin}) cannot be loaded: found ${located.looked}`);
  }
  const suggestion = located.found ? undefined : suggestBuiltin(type, Object.keys(builtins));
  if (suggestion !== undefined) {
    throw new PluginLoadError(
      `${label} not found: did you mean "${suggestion}"? (built-ins: ${Object.keys(builtins).join(', ')})`,
    );
  }
  if (!located.found) {
    const names = Object.keys(builtins).join(', ');
    const builtinNames = names === '' ? '' : `a built-in (${names}), `;
    throw new PluginLoadError(
      `${label} not found: expected ${builtinNames}an npm package installed beside the config, or a ` +
        `path such as ./my-plugin.js relative to the config's folder; found ${located.looked}`,
    );
  }

  const where = located.via === 'builtin' ? `built-in ${label} (${builtin})` : `${label} (${located.file})`;
  let module: Record<string, unknown>;
  try {
    module = (await import(located.url)) as Record<string, unknown>;
  } catch (error) {
    const firstLine = describeError(error).split('\n')[0] ?? '';
    const code = (error as { code?: string }).code;
    const hint =
      code === 'ERR_MODULE_NOT_FOUND'
        ? ' (a module it imports is missing: install the plugin with its dependencies)'
        : '';
    throw new PluginLoadError(`${where} failed to load: ${firstLine}${hint}`, { cause: error });
  }

  const problem = shapeProblem(kind, module);
  if (problem !== undefined) {
    throw new PluginLoadError(
      `${where} is not a tricopy ${kind} plugin: expected ${expectedShape(kind)}, found ${problem}`,
    );
  }
  const plugin = (module.default ?? module.plugin) as Plugin;
  if (!SUPPORTED_CONTRACT_VERSIONS.includes(plugin.contractVersion)) {
    throw new PluginLoadError(
      `${where} declares contractVersion ${plugin.contractVersion}; expected one this tricopy supports ` +
        `(${SUPPORTED_CONTRACT_VERSIONS.join(', ')}): upgrade tricopy, or use a release of the plugin for ` +
        `contract ${SUPPORTED_CONTRACT_VERSIONS.at(-1)}`,
    );
  }
  // The engine sees the plugin through a thin layer whose schema names the plugin in every option issue.
  return Object.create(plugin, {
    optionsSchema: { value: labelledSchema(plugin.optionsSchema, label), enumerable: true },
  }) as Plugin;
}
