import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type DestinationPlugin,
  type Plugin,
  type SourcePlugin,
  SUPPORTED_CONTRACT_VERSIONS,
} from '@tricopy/contract';
import { describeError, PluginLoadError } from '../util/errors.js';
import { BUILTIN_DESTINATIONS, BUILTIN_SOURCES } from './builtins.js';
import { isPathSpecifier, resolvePackageFrom } from './resolve.js';

type Kind = Plugin['kind'];

const cache = new Map<string, Promise<Plugin>>();

export function loadSourcePlugin(type: string, configDir: string): Promise<SourcePlugin<unknown>> {
  return loadPlugin('source', type, configDir) as Promise<SourcePlugin<unknown>>;
}

export function loadDestinationPlugin(type: string, configDir: string): Promise<DestinationPlugin<unknown>> {
  return loadPlugin('destination', type, configDir) as Promise<DestinationPlugin<unknown>>;
}

/**
 * `type` is a built-in name, an npm package name resolved from the config file's folder (then from tricopy's
 * own installation), or a path (relative to the config file's folder) to a module.
 */
function loadPlugin(kind: Kind, type: string, configDir: string): Promise<Plugin> {
  const cacheKey = `${kind}\0${type}\0${configDir}`;
  let loading = cache.get(cacheKey);
  if (loading === undefined) {
    loading = importPlugin(kind, type, configDir);
    cache.set(cacheKey, loading);
  }
  return loading;
}

async function importPlugin(kind: Kind, type: string, configDir: string): Promise<Plugin> {
  const builtins = kind === 'source' ? BUILTIN_SOURCES : BUILTIN_DESTINATIONS;
  const label = `${kind} plugin "${type}"`;
  let specifier: string;
  const builtin = builtins[type];
  if (builtin !== undefined) {
    specifier = builtin;
  } else if (isPathSpecifier(type)) {
    specifier = pathToFileURL(type.startsWith('file:') ? fileURLToPath(type) : resolve(configDir, type)).href;
  } else {
    const found = resolvePackageFrom(type, configDir);
    specifier = found === undefined ? type : pathToFileURL(found).href;
  }

  let module: Record<string, unknown>;
  try {
    module = (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const firstLine = describeError(error).split('\n')[0];
    if (builtin !== undefined) {
      throw new PluginLoadError(`built-in ${label} (${builtin}) could not be loaded: ${firstLine}`, {
        cause: error,
      });
    }
    if (
      code === 'ERR_MODULE_NOT_FOUND' ||
      code === 'MODULE_NOT_FOUND' ||
      code === 'ERR_UNSUPPORTED_DIR_IMPORT'
    ) {
      const builtinNames = Object.keys(builtins).join(', ');
      throw new PluginLoadError(
        `${label} not found: expected a built-in (${builtinNames}), an npm package installed beside the config ` +
          `(${configDir}) or a path such as ./my-plugin.js (${firstLine})`,
        { cause: error },
      );
    }
    throw new PluginLoadError(`${label} failed to load: ${firstLine}`, { cause: error });
  }

  const candidate = module.default ?? module.plugin;
  const problem = shapeProblem(kind, candidate);
  if (problem !== undefined) {
    const found =
      candidate === undefined
        ? `a module exporting [${Object.keys(module).join(', ')}]`
        : `an export with keys [${Object.keys(candidate as object).join(', ')}]`;
    throw new PluginLoadError(
      `${label} is not a tricopy ${kind} plugin: ${problem}; expected a default export { kind: "${kind}", ` +
        `contractVersion, type, optionsSchema, create()${kind === 'destination' ? ', defaults: { media, offsite }' : ''} }, found ${found}`,
    );
  }
  const plugin = candidate as Plugin;
  if (!SUPPORTED_CONTRACT_VERSIONS.includes(plugin.contractVersion)) {
    throw new PluginLoadError(
      `${label} declares contract version ${plugin.contractVersion}; this tricopy supports ` +
        `${SUPPORTED_CONTRACT_VERSIONS.join(', ')} (upgrade tricopy or use a plugin release for this contract)`,
    );
  }
  return plugin;
}

function shapeProblem(kind: Kind, candidate: unknown): string | undefined {
  if (candidate === null || typeof candidate !== 'object') return 'no default export';
  const plugin = candidate as Record<string, unknown>;
  if (plugin.kind !== kind) return `kind is ${JSON.stringify(plugin.kind)}, not "${kind}"`;
  if (typeof plugin.contractVersion !== 'number') return 'contractVersion is missing';
  if (typeof plugin.type !== 'string') return 'type is missing';
  if (typeof plugin.create !== 'function') return 'create() is missing';
  const schema = plugin.optionsSchema as Record<string, unknown> | undefined;
  if (schema === undefined || typeof schema !== 'object' || !('~standard' in schema)) {
    return 'optionsSchema is not a Standard Schema (zod, valibot, arktype...)';
  }
  if (kind === 'destination') {
    const defaults = plugin.defaults as Record<string, unknown> | undefined;
    if (typeof defaults?.media !== 'string' || typeof defaults.offsite !== 'boolean') {
      return 'defaults { media: string, offsite: boolean } is missing';
    }
  }
  return undefined;
}
