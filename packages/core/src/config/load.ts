import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { DestinationPlugin, SourcePlugin, StandardSchemaV1 } from '@tricopy/contract';
import { parseDocument } from 'yaml';
import { loadDestinationPlugin, loadSourcePlugin } from '../plugins/load.js';
import { parseDuration } from '../util/duration.js';
import { ConfigError, describeError } from '../util/errors.js';
import { Redactor } from '../util/redactor.js';
import { formatPath, interpolateEnv } from './interpolate.js';
import { type Compression, configSchema, type NotifyTarget, type Policy, type Retention } from './schema.js';

export interface DestinationSpec {
  readonly name: string;
  readonly type: string;
  readonly media: string;
  readonly offsite: boolean;
  readonly plugin: DestinationPlugin<unknown>;
  readonly options: unknown;
}

export interface SourceSpec {
  readonly type: string;
  readonly plugin: SourcePlugin<unknown>;
  readonly options: unknown;
}

export interface JobSpec {
  readonly name: string;
  readonly source: SourceSpec;
  readonly destinations: readonly string[];
  readonly compression: Compression;
  readonly compressionLevel?: number;
  readonly schedule?: string;
  readonly timezone?: string;
  readonly timeoutMs?: number;
  readonly retention?: Retention;
  readonly retentionByDestination?: Readonly<Record<string, Retention>>;
  readonly notify: readonly NotifyTarget[];
  readonly spool: boolean;
}

export interface LoadedConfig {
  readonly file: string;
  readonly dir: string;
  readonly policy: Policy;
  readonly catalogPath: string;
  readonly workDir: string;
  readonly concurrency: number;
  readonly retries: { readonly attempts: number; readonly minDelayMs: number; readonly maxDelayMs: number };
  readonly destinations: ReadonlyMap<string, DestinationSpec>;
  readonly jobs: ReadonlyMap<string, JobSpec>;
  readonly redactor: Redactor;
}

const SECRET_KEY = /pass(word|phrase)?|secret|token|credential|private_?key|api_?key/i;

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TRICOPY_CONFIG ?? 'tricopy.yaml');
}

/** Reads, interpolates and validates the whole file, loading every plugin it names. Reports every problem at once. */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
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
  return parseConfig(text, path, env);
}

export async function parseConfig(text: string, path: string, env: NodeJS.ProcessEnv): Promise<LoadedConfig> {
  const dir = dirname(path);
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((e) => {
        const at = e.linePos?.[0];
        return `${at ? `line ${at.line}, column ${at.col}: ` : ''}${e.message.split('\n')[0]}`;
      }),
      path,
    );
  }
  const interpolated = interpolateEnv(document.toJS() ?? {}, env);
  const problems = [...interpolated.problems];
  const redactor = new Redactor();
  for (const [keyPath, value] of interpolated.fromEnv) {
    if (SECRET_KEY.test(keyPath.split('.').pop() ?? '')) redactor.add(value);
  }

  const parsed = configSchema.safeParse(interpolated.value);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((issue) => formatIssue(issue.path, issue.message)));
    throw new ConfigError(
      problems.map((p) => redactor.redact(p)),
      path,
    );
  }
  const raw = parsed.data;

  for (const [jobName, job] of Object.entries(raw.jobs)) {
    job.destinations.forEach((name, index) => {
      if (!(name in raw.destinations)) {
        const known = Object.keys(raw.destinations).join(', ') || 'none defined';
        problems.push(
          `jobs.${jobName}.destinations[${index}]: unknown destination "${name}" (known: ${known})`,
        );
      }
    });
    const duplicates = job.destinations.filter((name, index) => job.destinations.indexOf(name) !== index);
    if (duplicates.length > 0)
      problems.push(`jobs.${jobName}.destinations: "${duplicates[0]}" is listed twice`);
    for (const name of Object.keys(job.retentionByDestination ?? {})) {
      if (!job.destinations.includes(name)) {
        problems.push(`jobs.${jobName}.retentionByDestination.${name}: not one of this job's destinations`);
      }
    }
  }

  const destinations = new Map<string, DestinationSpec>();
  await Promise.all(
    Object.entries(raw.destinations).map(async ([name, block]) => {
      const { type, media, offsite, ...options } = block;
      const where = `destinations.${name}`;
      try {
        const plugin = await loadDestinationPlugin(type, dir);
        const validated = await validateOptions(plugin.optionsSchema, options, where, problems);
        collectSecrets(plugin.secretOptions, options, redactor);
        if (validated.ok) {
          destinations.set(name, {
            name,
            type,
            media: media ?? plugin.defaults.media,
            offsite: offsite ?? plugin.defaults.offsite,
            plugin,
            options: validated.value,
          });
        }
      } catch (error) {
        problems.push(`${where}.type: ${describeError(error)}`);
      }
    }),
  );

  const jobs = new Map<string, JobSpec>();
  await Promise.all(
    Object.entries(raw.jobs).map(async ([name, job]) => {
      const { type, ...options } = job.source;
      const where = `jobs.${name}.source`;
      try {
        const plugin = await loadSourcePlugin(type, dir);
        const validated = await validateOptions(plugin.optionsSchema, options, where, problems);
        collectSecrets(plugin.secretOptions, options, redactor);
        if (!validated.ok) return;
        const spec: JobSpec = {
          name,
          source: { type, plugin, options: validated.value },
          destinations: job.destinations,
          compression: job.compression,
          notify: [...(raw.notify ?? []), ...(job.notify ?? [])],
          spool: job.spool,
          ...(job.compressionLevel === undefined ? {} : { compressionLevel: job.compressionLevel }),
          ...(job.schedule === undefined ? {} : { schedule: job.schedule }),
          ...(job.timezone === undefined ? {} : { timezone: job.timezone }),
          ...(job.timeout === undefined ? {} : { timeoutMs: parseDuration(job.timeout) as number }),
          ...(job.retention === undefined ? {} : { retention: job.retention }),
          ...(job.retentionByDestination === undefined
            ? {}
            : { retentionByDestination: job.retentionByDestination }),
        };
        jobs.set(name, spec);
      } catch (error) {
        problems.push(`${where}.type: ${describeError(error)}`);
      }
    }),
  );

  if (problems.length > 0)
    throw new ConfigError(
      problems.sort().map((p) => redactor.redact(p)),
      path,
    );

  return {
    file: path,
    dir,
    policy: raw.policy,
    catalogPath: resolve(dir, raw.catalog ?? join('.tricopy', 'catalog.db')),
    workDir: resolve(dir, raw.workDir ?? join(tmpdir(), 'tricopy')),
    concurrency: raw.concurrency,
    retries: {
      attempts: raw.retries.attempts,
      minDelayMs: parseDuration(raw.retries.minDelay) as number,
      maxDelayMs: parseDuration(raw.retries.maxDelay) as number,
    },
    destinations: sortedMap(destinations),
    jobs: sortedMap(jobs),
    redactor,
  };
}

function sortedMap<T>(map: Map<string, T>): Map<string, T> {
  return new Map([...map.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

function formatIssue(path: readonly PropertyKey[], message: string): string {
  const parts = path.map((p) => (typeof p === 'number' ? p : String(p)));
  return `${formatPath(parts)}: ${message}`;
}

async function validateOptions(
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

function collectSecrets(
  keys: readonly string[] | undefined,
  options: Record<string, unknown>,
  redactor: Redactor,
) {
  for (const [key, value] of Object.entries(options)) {
    if (typeof value === 'string' && (keys?.includes(key) || SECRET_KEY.test(key))) redactor.add(value);
  }
}
