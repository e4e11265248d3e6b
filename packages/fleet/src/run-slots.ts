import { setTimeout as sleep } from 'node:timers/promises';
import type { JobSpec, LoadedConfig } from '@tricopy/core';
import pg from 'pg';
import { connectionConfig, LOCK_NAMESPACE } from './pg-pool.js';

/** The second key of slot locks: resource id × MAX_SLOTS + slot number. */
const MAX_SLOTS = 1024;
const SLOT_NAMESPACE = LOCK_NAMESPACE + 1;

/** Something runs are counted against: a destination, or a database host. */
export interface Resource {
  readonly name: string;
  readonly limit: number;
}

/** The resources a run of `job` occupies under the config's `fleet` limits (none when there are no limits). */
export function resourcesOf(config: LoadedConfig, job: JobSpec): Resource[] {
  const { maxRunsPerDestination, maxRunsPerHost } = config.fleet;
  const resources: Resource[] = [];
  if (maxRunsPerDestination !== undefined)
    for (const name of job.destinations)
      resources.push({ name: `destination:${name}`, limit: maxRunsPerDestination });
  const host = sourceHost(job);
  if (maxRunsPerHost !== undefined && host !== undefined)
    resources.push({ name: `host:${host}`, limit: maxRunsPerHost });
  return resources.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The database host a source reads from, for sources that name one (`host`, with `port` when given). */
function sourceHost(job: JobSpec): string | undefined {
  const options = job.source.options as { host?: unknown; port?: unknown } | null;
  if (typeof options?.host !== 'string' || options.host === '') return undefined;
  return options.port === undefined ? options.host : `${options.host}:${String(options.port)}`;
}

export interface HeldSlots {
  release(): Promise<void>;
}

/**
 * Waits until every resource has a free slot, then holds one of each (advisory locks on a connection of its own:
 * a killed worker's slots are freed with its connection). All or none: a run that cannot have every slot holds
 * none while it waits, so two runs never wait on each other.
 */
export async function takeSlots(
  url: string,
  resources: readonly Resource[],
  signal: AbortSignal,
  onWait: (resource: string) => void,
): Promise<HeldSlots> {
  if (resources.length === 0) return { release: async () => {} };
  const client = new pg.Client(connectionConfig(url));
  client.on('error', () => undefined);
  await client.connect();
  try {
    const ids = await resourceIds(client, resources);
    let waited = false;
    for (;;) {
      signal.throwIfAborted();
      const blocked = await tryAll(client, resources, ids);
      if (blocked === undefined) break;
      if (!waited) onWait(blocked);
      waited = true;
      await sleep(500 + Math.random() * 1000, undefined, { signal });
    }
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return { release: () => client.end().catch(() => undefined) };
}

async function resourceIds(client: pg.Client, resources: readonly Resource[]): Promise<number[]> {
  const ids: number[] = [];
  for (const resource of resources) {
    await client.query('INSERT INTO run_resources (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [
      resource.name,
    ]);
    const row = await client.query('SELECT id FROM run_resources WHERE name = $1', [resource.name]);
    ids.push(Number(row.rows[0]?.id));
  }
  return ids;
}

/** Takes one free slot of each resource; on the first that has none, gives back what it took and names it. */
async function tryAll(
  client: pg.Client,
  resources: readonly Resource[],
  ids: readonly number[],
): Promise<string | undefined> {
  const taken: number[] = [];
  for (const [index, resource] of resources.entries()) {
    const key = await freeSlot(
      client,
      (ids[index] as number) * MAX_SLOTS,
      Math.min(resource.limit, MAX_SLOTS),
    );
    if (key === undefined) {
      for (const k of taken) await client.query('SELECT pg_advisory_unlock($1, $2)', [SLOT_NAMESPACE, k]);
      return resource.name;
    }
    taken.push(key);
  }
  return undefined;
}

/** One query per slot: a single query with LIMIT may take more advisory locks than the rows it returns. */
async function freeSlot(client: pg.Client, base: number, slots: number): Promise<number | undefined> {
  for (let key = base; key < base + slots; key++) {
    const result = await client.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [SLOT_NAMESPACE, key]);
    if (result.rows[0]?.ok === true) return key;
  }
  return undefined;
}
