import { interpolateEnv } from '../config/interpolate.js';
import type { JobSpec, LoadedConfig } from '../config/load.js';
import { collectSecrets, validateOptions } from '../config/plugin-options.js';
import { loadSourcePlugin } from '../plugins/load.js';
import { describeError, UsageError } from '../util/errors.js';

/**
 * The config with `job`, which is no longer in it, back for restoring one of its backups: its source plugin is the
 * type the backup was made with (recorded in the catalog and the manifest); its options are `options`, given on the
 * command line (`--source-option KEY=VALUE`), `${VAR}` filled from `env` so that secrets stay out of argv. A
 * file-based source restored to `restorePath` (`--to`) that needs only its `path` gets that path: the restore
 * creates that file and reads nothing else.
 */
export async function configWithRemovedJob(
  config: LoadedConfig,
  job: string,
  sourceType: string,
  options: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
  restorePath?: string,
): Promise<LoadedConfig> {
  if (config.jobs.has(job)) return config;
  refuseUnconfiguredType(config, job, sourceType);
  const interpolated = interpolateEnv(options, env);
  if (interpolated.problems.length > 0)
    throw new UsageError(`--source-option: ${interpolated.problems.join('; ')}`);
  const values = interpolated.value as Record<string, unknown>;
  for (const secret of interpolated.secrets) config.redactor.add(secret);
  let plugin: Awaited<ReturnType<typeof loadSourcePlugin>>;
  try {
    plugin = await loadSourcePlugin(sourceType, config.dir, config.plugins);
  } catch (error) {
    throw new UsageError(
      `job "${job}" was backed up with source type ${sourceType}: ${describeError(error)}`,
    );
  }
  collectSecrets(plugin.secretOptions, values, config.redactor);
  const problems: string[] = [];
  const withPath =
    restorePath !== undefined && values.path === undefined
      ? await validateOptions(plugin.optionsSchema, { ...values, path: restorePath }, 'source', [])
      : undefined;
  const validated = withPath?.ok
    ? withPath
    : await validateOptions(plugin.optionsSchema, values, 'source', problems);
  if (!validated.ok) {
    throw new UsageError(
      `job "${job}" is no longer in the config: give its ${sourceType} source options with --source-option KEY=VALUE: ${problems
        .map((p) => config.redactor.redact(p))
        .join('; ')}`,
    );
  }
  const spec: JobSpec = {
    name: job,
    source: { type: sourceType, plugin, options: validated.value },
    destinations: [],
    compression: 'auto',
    notify: [],
    spool: false,
  };
  return { ...config, jobs: new Map([...config.jobs, [job, spec]]) };
}

/**
 * The source type comes from the catalog (and, after a rebuild, from a manifest a destination holds): it may name
 * code to load only when the config already would, as a built-in or as the plugin of one of its jobs.
 */
function refuseUnconfiguredType(config: LoadedConfig, job: string, sourceType: string): void {
  if (Object.hasOwn(config.plugins.sources, sourceType)) return;
  if ([...config.jobs.values()].some((j) => j.source.type === sourceType)) return;
  const builtins = Object.keys(config.plugins.sources).join(', ');
  throw new UsageError(
    `job "${job}" is no longer in the config and its backups were made with source type ${JSON.stringify(sourceType)}, ` +
      `which is neither a built-in (${builtins || 'none'}) nor the plugin of a job in the config: tricopy loads no ` +
      `plugin named only by the catalog or a destination; to restore it, add job "${job}" back to the config with its source`,
  );
}
