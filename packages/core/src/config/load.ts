import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { resolveConfigPath } from '@tricopy/contract';
import { parseDocument, type YAMLError } from 'yaml';
import type { PluginTable } from '../plugins/builtins.js';
import { parseDuration } from '../util/duration.js';
import { ConfigError, describeError } from '../util/errors.js';
import { defaultWorkDir } from '../util/private-folder.js';
import { Redactor } from '../util/redactor.js';
import { catalogLocation } from './catalog-location.js';
import { encryptionPolicyProblems, resolveEncryption } from './encryption.js';
import { describeUnset, formatPath, interpolateEnv, type UnsetVariable } from './interpolate.js';
import { crossReferenceProblems, isRecord, looseShape, nameProblems } from './loose.js';
import { loadPlugins, type PluginLoading, SECRET_KEY } from './plugin-options.js';
import { configSchema, type Policy, type RawConfig } from './schema.js';
import {
  type DestinationSpec,
  destinationSpecs,
  type JobEncryption,
  type JobSpec,
  jobSpecs,
} from './specs.js';

export type { DestinationSpec, JobSpec, SourceSpec } from './specs.js';

/** Fleet-wide limits on concurrent runs, counted across every worker of a PostgreSQL catalog. */
export interface FleetSettings {
  /** At most this many runs at once writing to any one destination (unset: no limit). */
  readonly maxRunsPerDestination?: number;
  /** At most this many runs at once reading from any one database host (unset: no limit). */
  readonly maxRunsPerHost?: number;
  /** A worker that has not said it is alive for this long (plus up to half of it) is taken for dead. */
  readonly heartbeatSeconds: number;
}

export interface LoadedConfig {
  readonly file: string;
  readonly dir: string;
  readonly policy: Policy;
  readonly catalogPath: string;
  /** Set when `catalog` is a `postgres://` URL: the catalog (and the fleet's queue) is in that database. */
  readonly catalogUrl?: string;
  /** SHA-256 of the config file's text: a queued run carries it, so a worker with another config refuses it. */
  readonly configHash: string;
  readonly fleet: FleetSettings;
  readonly workDir: string;
  readonly concurrency: number;
  readonly stallTimeoutMs: number;
  readonly retries: { readonly attempts: number; readonly minDelayMs: number; readonly maxDelayMs: number };
  readonly destinations: ReadonlyMap<string, DestinationSpec>;
  readonly jobs: ReadonlyMap<string, JobSpec>;
  readonly redactor: Redactor;
  /** The table of built-in plugins the config was loaded with (for plugins loaded later, e.g. a removed job's). */
  readonly plugins: PluginTable;
  /** The environment variables the config refers to (`${NAME}`), sorted. */
  readonly variables: readonly string[];
  /** The systemd credentials the config refers to (`${credential:NAME}`), sorted. */
  readonly credentials: readonly string[];
}

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TRICOPY_CONFIG ?? 'tricopy.yaml');
}

/**
 * Reads, interpolates and validates the whole file, loading every plugin it names (short types from `plugins`, the
 * caller's table of built-ins). Reports every problem at once.
 */
export async function loadConfig(
  file: string,
  plugins: PluginTable,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT' ? ' (run `tricopy init` to write a starter config, or pass --config FILE)' : '';
    throw new ConfigError([`cannot read ${path}: ${code ?? describeError(error)}${hint}`]);
  }
  return parseConfig(text, path, env, plugins);
}

/** Interpolates and validates a config's text (read from `path`), loading every plugin it names. */
export async function parseConfig(
  text: string,
  path: string,
  env: NodeJS.ProcessEnv,
  plugins: PluginTable,
): Promise<LoadedConfig> {
  const dir = dirname(path);
  const interpolated = interpolateEnv(readYaml(text, path), env);
  const unusable = unusableParts(interpolated.unset);
  dropUnusableNotify(interpolated.value, unusable.notify);
  const problems = [...interpolated.problems, ...unusable.problems];
  const redactor = redactorOf(interpolated.fromEnv, interpolated.secrets);
  const catalog = catalogLocation(
    isRecord(interpolated.value) ? interpolated.value.catalog : undefined,
    (file) => resolveConfigPath(dir, file),
    redactor,
    problems,
  );
  const valid = await validated(interpolated.value, { dir, plugins, redactor, problems });
  if (valid === undefined || problems.length > 0) {
    throw new ConfigError(
      [...new Set(problems)].sort().map((p) => redactor.redact(p)),
      path,
    );
  }
  const { raw, loaded, encryption } = valid;
  const destinations = destinationSpecs(raw, loaded.destinations, unusable);
  const jobs = jobSpecs(raw, { sources: loaded.sources, encryption, unusable, dir });
  const policyProblems = encryptionPolicyProblems(raw.policy, jobs.values(), destinations);
  if (policyProblems.length > 0) throw new ConfigError(policyProblems.sort(), path);
  return {
    file: path,
    dir,
    policy: raw.policy,
    ...catalog,
    configHash: createHash('sha256').update(text).digest('hex'),
    ...settingsOf(raw, dir),
    destinations,
    jobs,
    redactor,
    plugins,
    variables: [...interpolated.variables].sort(),
    credentials: [...interpolated.credentials].sort(),
  };
}

/**
 * Values filled in from the environment under a key named like a secret, and every value read from a file or a
 * credential, are redacted wherever they appear.
 */
function redactorOf(fromEnv: Iterable<[string, string]>, secrets: Iterable<string>): Redactor {
  const redactor = new Redactor();
  for (const [keyPath, value] of fromEnv) {
    if (SECRET_KEY.test(keyPath.split('.').pop() ?? '')) redactor.add(value);
  }
  for (const secret of secrets) redactor.add(secret);
  return redactor;
}

/**
 * The config checked by the schema, the cross-references and every plugin, with its plugins and recipients; undefined
 * when its shape is wrong. Everything that can be checked is, even when the shape is off, so every problem is reported
 * at once (in `loading.problems`).
 */
async function validated(value: unknown, loading: PluginLoading) {
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) {
    loading.problems.push(...parsed.error.issues.map((issue) => formatIssue(issue.path, issue.message)));
  }
  const loose = looseShape(value);
  loading.problems.push(...nameProblems(loose), ...crossReferenceProblems(loose));
  const loaded = await loadPlugins(loose, loading);
  if (!parsed.success) return undefined;
  const encryption = await jobEncryptions(parsed.data, loading.dir, loading.problems);
  return { raw: parsed.data, loaded, encryption };
}

/** The run settings of a valid config: fleet limits, work folder, concurrency, timeouts and retries. */
function settingsOf(raw: RawConfig, dir: string) {
  return {
    fleet: {
      ...(raw.fleet?.maxRunsPerDestination === undefined
        ? {}
        : { maxRunsPerDestination: raw.fleet.maxRunsPerDestination }),
      ...(raw.fleet?.maxRunsPerHost === undefined ? {} : { maxRunsPerHost: raw.fleet.maxRunsPerHost }),
      heartbeatSeconds: Math.ceil((parseDuration(raw.fleet?.heartbeat ?? '30s') as number) / 1000),
    },
    workDir: resolveConfigPath(dir, raw.workDir ?? defaultWorkDir()),
    concurrency: raw.concurrency,
    stallTimeoutMs: parseDuration(raw.stallTimeout) as number,
    retries: {
      attempts: raw.retries.attempts,
      minDelayMs: parseDuration(raw.retries.minDelay) as number,
      maxDelayMs: parseDuration(raw.retries.maxDelay) as number,
    },
  };
}

/** Each job's recipients: its own encryption block, else the top-level one (resolved once). */
async function jobEncryptions(raw: RawConfig, dir: string, problems: string[]) {
  const fallback =
    raw.encryption === undefined
      ? undefined
      : await resolveEncryption(raw.encryption, 'encryption', dir, problems);
  const byJob = new Map<string, JobEncryption>();
  for (const [name, job] of Object.entries(raw.jobs)) {
    const own =
      job.encryption === undefined
        ? fallback
        : await resolveEncryption(job.encryption, `jobs.${name}.encryption`, dir, problems);
    if (own !== undefined) byJob.set(name, own);
  }
  return byJob;
}

/** The YAML document as plain data (objects without a prototype), or one config problem with its line and a hint. */
function readYaml(text: string, path: string): unknown {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = document.errors[0] ?? document.warnings[0];
  if (first !== undefined) throw new ConfigError([yamlProblem(first, text)], path);
  try {
    return document.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    throw new ConfigError([`invalid YAML: ${describeError(error)}`], path);
  }
}

function yamlProblem(error: YAMLError, text: string): string {
  const at = error.linePos?.[0];
  const line = at === undefined ? '' : (text.split(/\r?\n/)[at.line - 1] ?? '');
  const where = at === undefined ? '' : `line ${at.line}, column ${at.col}: `;
  const message =
    error.code === 'TAG_RESOLVE_FAILED'
      ? `${error.message.split(' at line')[0]} (tricopy knows no YAML tags; quote the value if the ! is meant literally)`
      : `invalid YAML: ${error.message.split(' at line')[0]}`;
  const hint =
    /\$\{/.test(line) && !/["']\$\{/.test(line)
      ? ' (quote values that contain ${, e.g. password: "${PGPASS}")'
      : '';
  return `${where}${message}${hint}`;
}

/** Unset variables in a job's source or a destination's options make only that job or destination unusable. */
function unusableParts(unset: readonly UnsetVariable[]) {
  const problems: string[] = [];
  const jobs = new Map<string, string>();
  const destinations = new Map<string, string>();
  const notify = new Map<string, string>();
  for (const item of unset) {
    const [section, name, block] = item.path;
    const message = describeUnset(item);
    const target = notifyTargetPath(item.path);
    if (target !== undefined) {
      if (!notify.has(target)) notify.set(target, message);
    } else if (section === 'jobs' && typeof name === 'string' && block === 'source') {
      if (!jobs.has(name)) jobs.set(name, message);
    } else if (section === 'destinations' && typeof name === 'string' && block !== 'type') {
      if (!destinations.has(name)) destinations.set(name, message);
    } else problems.push(message);
  }
  return { problems, jobs, destinations, notify };
}

/** `notify[2]` or `jobs.app.notify[0]` when the path is inside a notify target, the target's own path. */
function notifyTargetPath(path: readonly (string | number)[]): string | undefined {
  const at = path[0] === 'notify' ? 0 : path[0] === 'jobs' && path[2] === 'notify' ? 2 : -1;
  const index = path[at + 1];
  return at >= 0 && typeof index === 'number' ? formatPath(path.slice(0, at + 2)) : undefined;
}

/** Takes the notify targets that use an unset variable out of the config: they are reported, not validated. */
function dropUnusableNotify(value: unknown, unusable: ReadonlyMap<string, string>): void {
  if (unusable.size === 0 || !isRecord(value)) return;
  const drop = (targets: unknown, prefix: string) =>
    Array.isArray(targets) ? targets.filter((_, i) => !unusable.has(`${prefix}[${i}]`)) : targets;
  if ('notify' in value) value.notify = drop(value.notify, 'notify');
  for (const [name, job] of Object.entries(isRecord(value.jobs) ? value.jobs : {})) {
    if (isRecord(job) && 'notify' in job) job.notify = drop(job.notify, `jobs.${name}.notify`);
  }
}

function formatIssue(path: readonly PropertyKey[], message: string): string {
  const parts = path.map((p) => (typeof p === 'number' ? p : String(p)));
  return `${formatPath(parts)}: ${message}`;
}
