import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  type DestinationPlugin,
  resolveConfigPath,
  type SourcePlugin,
  type StandardSchemaV1,
} from '@tricopy/contract';
import { parseDocument, type YAMLError } from 'yaml';
import type { PluginTable } from '../plugins/builtins.js';
import { loadDestinationPlugin, loadSourcePlugin } from '../plugins/load.js';
import { parseDuration } from '../util/duration.js';
import { ConfigError, describeError } from '../util/errors.js';
import { defaultWorkDir } from '../util/private-folder.js';
import { Redactor } from '../util/redactor.js';
import { catalogLocation } from './catalog-location.js';
import { encryptionPolicyProblems, type JobEncryption, resolveEncryption } from './encryption.js';
import { describeUnset, formatPath, interpolateEnv, type UnsetVariable } from './interpolate.js';
import {
  type Compression,
  configSchema,
  NAME,
  NAME_MESSAGE,
  type NotifyTarget,
  type Policy,
  type RawConfig,
  type Retention,
} from './schema.js';

export interface DestinationSpec {
  readonly name: string;
  readonly type: string;
  readonly media: string;
  readonly offsite: boolean;
  readonly plugin: DestinationPlugin<unknown>;
  readonly options: unknown;
  /** Why this destination cannot be used in this run (an unset variable in its options); the rest of the config can. */
  readonly unusable?: string;
}

export interface SourceSpec {
  readonly type: string;
  readonly plugin: SourcePlugin<unknown>;
  readonly options: unknown;
}

export interface JobSpec {
  readonly name: string;
  /** Why this job cannot run (an unset variable in its source); it fails alone, the other jobs run. */
  readonly unusable?: string;
  readonly source: SourceSpec;
  readonly destinations: readonly string[];
  readonly compression: Compression;
  readonly compressionLevel?: number;
  /** age recipients of this job's artifacts; none means plaintext copies. */
  readonly encryption?: JobEncryption;
  readonly schedule?: string;
  readonly timezone?: string;
  readonly timeoutMs?: number;
  /** Stale when the newest backup with a verified copy is older (the job's maxAge, else policy.maxAge). */
  readonly maxAgeMs?: number;
  /** Rotating verification windows (the job's `verify`, else policy.verify, key by key). */
  readonly verifyEvery?: { readonly deepMs?: number; readonly restoreTestMs?: number };
  readonly retention?: Retention;
  readonly retentionByDestination?: Readonly<Record<string, Retention>>;
  readonly notify: readonly NotifyTarget[];
  /** Why some of its notify targets cannot be used (an unset variable in them); the job runs without them. */
  readonly notifyUnusable?: readonly string[];
  readonly spool: boolean;
}

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

const SECRET_KEY = /pass(word|phrase)?|secret|token|credential|private_?key|api_?key/i;

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
  const redactor = new Redactor();
  for (const [keyPath, value] of interpolated.fromEnv) {
    if (SECRET_KEY.test(keyPath.split('.').pop() ?? '')) redactor.add(value);
  }
  for (const secret of interpolated.secrets) redactor.add(secret);
  const catalog = catalogLocation(
    isRecord(interpolated.value) ? interpolated.value.catalog : undefined,
    (file) => resolveConfigPath(dir, file),
    redactor,
    problems,
  );

  // Validate everything that can be validated, even when the file's shape is off, so every problem is reported at once.
  const parsed = configSchema.safeParse(interpolated.value);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((issue) => formatIssue(issue.path, issue.message)));
  }
  const loose = looseShape(interpolated.value);
  problems.push(...nameProblems(loose), ...crossReferenceProblems(loose));

  const destinationPlugins = new Map<string, { plugin: DestinationPlugin<unknown>; options: unknown }>();
  const sourcePlugins = new Map<string, { plugin: SourcePlugin<unknown>; options: unknown }>();
  await Promise.all([
    ...Object.entries(loose.destinations).map(async ([name, block]) => {
      const { type, media: _media, offsite: _offsite, ...options } = block;
      if (typeof type !== 'string' || type === '') return;
      const where = `destinations.${name}`;
      try {
        const plugin = await loadDestinationPlugin(type, dir, plugins);
        collectSecrets(plugin.secretOptions, options, redactor);
        const validated = await validateOptions(plugin.optionsSchema, options, where, problems);
        if (validated.ok) destinationPlugins.set(name, { plugin, options: validated.value });
      } catch (error) {
        problems.push(`${where}.type: ${describeError(error)}`);
      }
    }),
    ...Object.entries(loose.jobs).map(async ([name, job]) => {
      const source = isRecord(job.source) ? job.source : {};
      const { type, ...options } = source;
      if (typeof type !== 'string' || type === '') return;
      const where = `jobs.${name}.source`;
      try {
        const plugin = await loadSourcePlugin(type, dir, plugins);
        collectSecrets(plugin.secretOptions, options, redactor);
        const validated = await validateOptions(plugin.optionsSchema, options, where, problems);
        if (validated.ok) sourcePlugins.set(name, { plugin, options: validated.value });
      } catch (error) {
        problems.push(`${where}.type: ${describeError(error)}`);
      }
    }),
  ]);
  const encryption = parsed.success ? await jobEncryptions(parsed.data, dir, problems) : new Map();

  if (!parsed.success || problems.length > 0) {
    throw new ConfigError(
      [...new Set(problems)].sort().map((p) => redactor.redact(p)),
      path,
    );
  }
  const raw = parsed.data;

  const destinations = new Map<string, DestinationSpec>();
  for (const [name, block] of Object.entries(raw.destinations)) {
    const loaded = destinationPlugins.get(name) as { plugin: DestinationPlugin<unknown>; options: unknown };
    destinations.set(name, {
      name,
      type: block.type,
      media: block.media ?? loaded.plugin.defaults.media,
      offsite: block.offsite ?? loaded.plugin.defaults.offsite,
      plugin: loaded.plugin,
      options: loaded.options,
      ...withUnusable(unusable.destinations.get(name)),
    });
  }

  const jobs = new Map<string, JobSpec>();
  for (const [name, job] of Object.entries(raw.jobs)) {
    const loaded = sourcePlugins.get(name) as { plugin: SourcePlugin<unknown>; options: unknown };
    jobs.set(name, {
      name,
      ...withUnusable(unusable.jobs.get(name)),
      source: { type: job.source.type, plugin: loaded.plugin, options: loaded.options },
      destinations: job.destinations,
      compression: job.compression,
      ...(encryption.has(name) ? { encryption: encryption.get(name) } : {}),
      notify: [...(raw.notify ?? []), ...(job.notify ?? [])],
      ...notifyUnusable(unusable.notify, name),
      spool: job.spool,
      ...(job.compressionLevel === undefined ? {} : { compressionLevel: job.compressionLevel }),
      ...(job.schedule === undefined ? {} : { schedule: job.schedule }),
      ...(job.timezone === undefined ? {} : { timezone: job.timezone }),
      ...(job.timeout === undefined ? {} : { timeoutMs: parseDuration(job.timeout) as number }),
      ...maxAge(job.maxAge ?? raw.policy.maxAge),
      verifyEvery: verifyEvery(job.verify, raw.policy.verify),
      ...(job.retention === undefined ? {} : { retention: job.retention }),
      ...(job.retentionByDestination === undefined
        ? {}
        : { retentionByDestination: job.retentionByDestination }),
    });
  }

  const policyProblems = encryptionPolicyProblems(raw.policy, jobs.values(), destinations);
  if (policyProblems.length > 0) throw new ConfigError(policyProblems.sort(), path);

  return {
    file: path,
    dir,
    policy: raw.policy,
    ...catalog,
    configHash: createHash('sha256').update(text).digest('hex'),
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
    destinations: sortedMap(destinations),
    jobs: sortedMap(jobs),
    redactor,
    plugins,
    variables: [...interpolated.variables].sort(),
    credentials: [...interpolated.credentials].sort(),
  };
}

type Loose = Record<string, unknown>;

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
function maxAge(value: string | number | undefined): { maxAgeMs?: number } {
  return value === undefined ? {} : { maxAgeMs: parseDuration(value) as number };
}

type Rotation = { deep?: string | number | undefined; restoreTest?: string | number | undefined };

function verifyEvery(job: Rotation | undefined, policy: Rotation | undefined) {
  const deep = job?.deep ?? policy?.deep;
  const restoreTest = job?.restoreTest ?? policy?.restoreTest;
  return {
    ...(deep === undefined ? {} : { deepMs: parseDuration(deep) as number }),
    ...(restoreTest === undefined ? {} : { restoreTestMs: parseDuration(restoreTest) as number }),
  };
}

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

/** The reasons a job's notify targets (the top-level ones and its own) cannot be used. */
function notifyUnusable(unusable: ReadonlyMap<string, string>, job: string): { notifyUnusable?: string[] } {
  const reasons = [...unusable]
    .filter(([path]) => path.startsWith('notify[') || path.startsWith(`jobs.${job}.notify[`))
    .map(([, reason]) => reason);
  return reasons.length === 0 ? {} : { notifyUnusable: reasons };
}

function withUnusable(reason: string | undefined): { unusable?: string } {
  return reason === undefined ? {} : { unusable: reason };
}

function isRecord(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The destinations and jobs of a config whose shape may be wrong, keeping only entries that are objects. */
function looseShape(value: unknown): { destinations: Record<string, Loose>; jobs: Record<string, Loose> } {
  const root = isRecord(value) ? value : {};
  const objects = (v: unknown) =>
    Object.fromEntries(Object.entries(isRecord(v) ? v : {}).filter(([, item]) => isRecord(item))) as Record<
      string,
      Loose
    >;
  return { destinations: objects(root.destinations), jobs: objects(root.jobs) };
}

/** Names the schema's record check might never see (`__proto__`) are refused here, by their own keys. */
function nameProblems(loose: ReturnType<typeof looseShape>): string[] {
  const problems: string[] = [];
  for (const section of ['destinations', 'jobs'] as const) {
    for (const name of Object.keys(loose[section])) {
      if (!NAME.test(name)) problems.push(`${section}.${name}: ${NAME_MESSAGE}`);
    }
  }
  return problems;
}

function crossReferenceProblems(loose: ReturnType<typeof looseShape>): string[] {
  const problems: string[] = [];
  const known = Object.keys(loose.destinations);
  for (const [jobName, job] of Object.entries(loose.jobs)) {
    const names = Array.isArray(job.destinations) ? job.destinations : [];
    names.forEach((name, index) => {
      if (typeof name === 'string' && !known.includes(name)) {
        problems.push(
          `jobs.${jobName}.destinations[${index}]: unknown destination "${name}" (known: ${known.join(', ') || 'none defined'})`,
        );
      }
    });
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate !== undefined)
      problems.push(`jobs.${jobName}.destinations: "${duplicate}" is listed twice`);
    for (const name of Object.keys(isRecord(job.retentionByDestination) ? job.retentionByDestination : {})) {
      if (!names.includes(name)) {
        problems.push(`jobs.${jobName}.retentionByDestination.${name}: not one of this job's destinations`);
      }
    }
  }
  return problems;
}

function sortedMap<T>(map: Map<string, T>): Map<string, T> {
  return new Map([...map.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

function formatIssue(path: readonly PropertyKey[], message: string): string {
  const parts = path.map((p) => (typeof p === 'number' ? p : String(p)));
  return `${formatPath(parts)}: ${message}`;
}

export async function validateOptions(
  schema: StandardSchemaV1<unknown, unknown>,
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
