import { resolve } from 'node:path';
import type { DestinationPlugin, SourcePlugin } from '@tricopy/contract';
import { parseDuration } from '../util/duration.js';
import { type Assertion, assertionsOf } from './assertions.js';
import type { DrillSpec } from './drill.js';
import type { Loaded, LoadedPlugins } from './plugin-options.js';
import type { Anomalies, Compression, NotifyTarget, RawConfig, Retention } from './schema.js';

/** A job's age encryption: the recipients every artifact is encrypted to. */
export interface JobEncryption {
  readonly recipients: readonly string[];
}

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
  /** What flags a backup as anomalous against the previous good one (besides retention.shrinkThreshold). */
  readonly anomalies?: Anomalies;
  readonly retentionByDestination?: Readonly<Record<string, Retention>>;
  readonly notify: readonly NotifyTarget[];
  /** Why some of its notify targets cannot be used (an unset variable in them); the job runs without them. */
  readonly notifyUnusable?: readonly string[];
  readonly spool: boolean;
  /** SQL checks its restore tests run on the restored data (`assertions`). */
  readonly assertions?: readonly Assertion[];
  /** Its restore drill (`drill`). */
  readonly drill?: DrillSpec;
}

/** The parts of a config an unset variable makes unusable: path or name → why. */
export interface UnusableParts {
  readonly jobs: ReadonlyMap<string, string>;
  readonly destinations: ReadonlyMap<string, string>;
  readonly notify: ReadonlyMap<string, string>;
}

/** Every destination of a valid config, with its plugin and validated options, sorted by name. */
export function destinationSpecs(
  raw: RawConfig,
  loaded: LoadedPlugins['destinations'],
  unusable: UnusableParts,
): Map<string, DestinationSpec> {
  const specs = new Map<string, DestinationSpec>();
  for (const [name, block] of Object.entries(raw.destinations)) {
    const { plugin, options } = loaded.get(name) as Loaded<DestinationPlugin<unknown>>;
    specs.set(name, {
      name,
      type: block.type,
      media: block.media ?? plugin.defaults.media,
      offsite: block.offsite ?? plugin.defaults.offsite,
      plugin,
      options,
      ...withUnusable(unusable.destinations.get(name)),
    });
  }
  return sortedMap(specs);
}

type RawJob = RawConfig['jobs'][string];

export interface JobParts {
  readonly sources: LoadedPlugins['sources'];
  readonly encryption: ReadonlyMap<string, JobEncryption>;
  readonly unusable: UnusableParts;
  /** The config's folder: relative drill paths are resolved against it. */
  readonly dir: string;
}

/** Every job of a valid config, with its source plugin and the policy's defaults filled in, sorted by name. */
export function jobSpecs(raw: RawConfig, parts: JobParts): Map<string, JobSpec> {
  const specs = new Map<string, JobSpec>();
  for (const [name, job] of Object.entries(raw.jobs)) specs.set(name, jobSpec(raw, name, job, parts));
  return sortedMap(specs);
}

function jobSpec(
  raw: RawConfig,
  name: string,
  job: RawJob,
  { sources, encryption, unusable, dir }: JobParts,
): JobSpec {
  const loaded = sources.get(name) as Loaded<SourcePlugin<unknown>>;
  return {
    name,
    ...withUnusable(unusable.jobs.get(name)),
    source: { type: job.source.type, plugin: loaded.plugin, options: loaded.options },
    destinations: job.destinations,
    compression: job.compression,
    ...(encryption.has(name) ? { encryption: encryption.get(name) } : {}),
    notify: [...(raw.notify ?? []), ...(job.notify ?? [])],
    ...notifyUnusable(unusable.notify, name),
    spool: job.spool,
    ...(job.assertions === undefined ? {} : { assertions: assertionsOf(job.assertions) }),
    ...(job.drill === undefined ? {} : { drill: drillSpec(job.drill, dir) }),
    ...(job.compressionLevel === undefined ? {} : { compressionLevel: job.compressionLevel }),
    ...(job.schedule === undefined ? {} : { schedule: job.schedule }),
    ...(job.timezone === undefined ? {} : { timezone: job.timezone }),
    ...(job.timeout === undefined ? {} : { timeoutMs: parseDuration(job.timeout) as number }),
    ...maxAge(job.maxAge ?? raw.policy.maxAge),
    verifyEvery: verifyEvery(job.verify, raw.policy.verify),
    ...(job.retention === undefined ? {} : { retention: job.retention }),
    ...(job.anomalies === undefined ? {} : { anomalies: job.anomalies }),
    ...(job.retentionByDestination === undefined
      ? {}
      : { retentionByDestination: job.retentionByDestination }),
  };
}

function drillSpec(drill: NonNullable<RawJob['drill']>, dir: string): DrillSpec {
  const { database, path } = drill.target;
  return {
    ...(drill.schedule === undefined ? {} : { schedule: drill.schedule }),
    target: database !== undefined ? { database } : { path: resolve(dir, path as string) },
    postRestoreSql: drill.postRestoreSql,
  };
}

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

function sortedMap<T>(map: Map<string, T>): Map<string, T> {
  return new Map([...map.entries()].sort(([a], [b]) => a.localeCompare(b)));
}
