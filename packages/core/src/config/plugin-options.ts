import type { DestinationPlugin, SourcePlugin, StandardSchemaV1 } from '@tricopy/contract';
import type { PluginTable } from '../plugins/builtins.js';
import { loadDestinationPlugin, loadSourcePlugin } from '../plugins/load.js';
import { describeError } from '../util/errors.js';
import type { Redactor } from '../util/redactor.js';
import { formatPath } from './interpolate.js';
import { isRecord, type Loose, type LooseConfig } from './loose.js';

export const SECRET_KEY = /pass(word|phrase)?|secret|token|credential|private_?key|api_?key/i;

export interface Loaded<P> {
  readonly plugin: P;
  readonly options: unknown;
}

/** The plugins a config names, each with its options validated by the plugin (by destination, by job). */
export interface LoadedPlugins {
  readonly destinations: Map<string, Loaded<DestinationPlugin<unknown>>>;
  readonly sources: Map<string, Loaded<SourcePlugin<unknown>>>;
}

export interface PluginLoading {
  readonly dir: string;
  readonly plugins: PluginTable;
  readonly redactor: Redactor;
  readonly problems: string[];
}

/** Loads every plugin the config names and validates its options; what fails is added to `problems`. */
export async function loadPlugins(loose: LooseConfig, loading: PluginLoading): Promise<LoadedPlugins> {
  const loaded: LoadedPlugins = { destinations: new Map(), sources: new Map() };
  await Promise.all([
    ...Object.entries(loose.destinations).map(async ([name, block]) => {
      const { type, media: _media, offsite: _offsite, ...options } = block;
      const plugin = await pluginOptions(
        loadDestinationPlugin,
        { type, options },
        `destinations.${name}`,
        loading,
      );
      if (plugin !== undefined) loaded.destinations.set(name, plugin);
    }),
    ...Object.entries(loose.jobs).map(async ([name, job]) => {
      const { type, ...options } = isRecord(job.source) ? job.source : {};
      const plugin = await pluginOptions(loadSourcePlugin, { type, options }, `jobs.${name}.source`, loading);
      if (plugin !== undefined) loaded.sources.set(name, plugin);
    }),
  ]);
  return loaded;
}

type PluginLoader<P> = (type: string, dir: string, plugins: PluginTable) => Promise<P>;

async function pluginOptions<P extends { secretOptions?: readonly string[]; optionsSchema: Schema }>(
  load: PluginLoader<P>,
  block: { type: unknown; options: Loose },
  where: string,
  { dir, plugins, redactor, problems }: PluginLoading,
): Promise<Loaded<P> | undefined> {
  if (typeof block.type !== 'string' || block.type === '') return undefined;
  try {
    const plugin = await load(block.type, dir, plugins);
    collectSecrets(plugin.secretOptions, block.options, redactor);
    const validated = await validateOptions(plugin.optionsSchema, block.options, where, problems);
    return validated.ok ? { plugin, options: validated.value } : undefined;
  } catch (error) {
    problems.push(`${where}.type: ${describeError(error)}`);
    return undefined;
  }
}

type Schema = StandardSchemaV1<unknown, unknown>;

export async function validateOptions(
  schema: Schema,
  options: Record<string, unknown>,
  where: string,
  problems: string[],
): Promise<{ ok: true; value: unknown } | { ok: false }> {
  const result = await schema['~standard'].validate(options);
  if (result.issues === undefined) return { ok: true, value: result.value };
  for (const issue of result.issues) {
    const path = (issue.path ?? []).map((segment) =>
      typeof segment === 'object' && segment !== null ? (segment as { key: PropertyKey }).key : segment,
    );
    const parts = path.map((p) => (typeof p === 'number' ? p : String(p)));
    problems.push(`${where}${parts.length > 0 ? `.${formatPath(parts)}` : ''}: ${issue.message}`);
  }
  return { ok: false };
}

/**
 * The options a plugin declares secret are redacted; a plugin that declares none gets every option named like a
 * secret redacted. (A declared list is trusted: sftp's `privateKey` is a path, and a path in an error stays readable.)
 */
export function collectSecrets(
  keys: readonly string[] | undefined,
  options: Record<string, unknown>,
  redactor: Redactor,
) {
  const isSecret = (key: string) => (keys === undefined ? SECRET_KEY.test(key) : keys.includes(key));
  for (const [key, value] of Object.entries(options)) {
    if (typeof value === 'string' && isSecret(key)) redactor.add(value);
  }
}
