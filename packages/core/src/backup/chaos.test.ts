// Seeded chaos over the memory destination: random fault schedules, invariants checked after every trial.
// Replay a failing trial with TRICOPY_CHAOS_SEED=<seed printed> (and TRICOPY_CHAOS_TRIALS=1 for just that one).
import { createHash } from 'node:crypto';
import type { DestinationCapabilities } from '@tricopy/contract';
import type { Fault, FaultError, FaultRule, MemoryDestinationOptions } from '@tricopy/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_NAME, type Manifest } from '../manifest/manifest.js';
import { restoreBackup } from '../restore/restore.js';
import type { JobResult } from '../results/backup-result.js';
import { runBackups } from '../schedule/run-backups.js';
import { type Harness, harness, pseudoRandom } from '../testing/harness.js';

const FIRST_SEED = Number(process.env.TRICOPY_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TRIALS = Number(process.env.TRICOPY_CHAOS_TRIALS ?? 200);

/** mulberry32: small, fast, good enough to pick faults. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Like the real plugins: the local disk re-reads, S3 stores a hash, SFTP gives none. */
const KINDS: readonly DestinationCapabilities[] = [
  { local: true, readBackSha256: true },
  { storedSha256: true },
  {},
];

interface Schedule {
  readonly destinations: Record<string, MemoryDestinationOptions>;
  readonly jobs: readonly string[];
  readonly bodySize: number;
  readonly retries: number;
  readonly spool: boolean;
  readonly restoreFaults: readonly (readonly [string, FaultRule])[];
}

function schedule(seed: number): Schedule {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const bodySize = random() < 0.05 ? 0 : Math.floor(random() * 400_000) + 1;
  const count = 1 + Math.floor(random() * 3);
  const destinations: Record<string, MemoryDestinationOptions> = {};
  for (let i = 0; i < count; i++) {
    const capabilities = pick(KINDS);
    const hashes = capabilities.readBackSha256 === true || capabilities.storedSha256 === true;
    const faults: FaultRule[] = [];
    for (let n = Math.floor(random() * 3); n > 0; n--)
      faults.push(randomRule(random, pick, bodySize, hashes));
    destinations[`d${i}`] = { capabilities, faults };
  }
  const names = Object.keys(destinations);
  const restoreFaults = names
    .filter(() => random() < 0.4)
    .map((name) => [name, randomGetRule(random, pick, bodySize)] as const);
  return {
    destinations,
    jobs: random() < 0.3 ? ['app', 'other'] : ['app'],
    bodySize,
    retries: Math.floor(random() * 3),
    spool: random() < 0.3,
    restoreFaults,
  };
}

function randomRule(
  random: () => number,
  pick: <T>(items: readonly T[]) => T,
  size: number,
  hashes: boolean,
): FaultRule {
  const bytes = Math.floor(random() * (size + 1));
  const error = pick<FaultError>(['ENOSPC', 'EACCES', 'ECONNRESET']);
  const faults: Fault[] = [
    { kind: 'fail-after', bytes, error, raw: random() < 0.3 },
    { kind: 'truncate', bytes: Math.max(0, size - 1 - Math.floor(random() * 10)) },
    { kind: 'omit-sha256' },
    // A flipped bit is only detectable where a hash is kept; without one, only sizes can be compared.
    ...(hashes ? [{ kind: 'corrupt' as const }] : []),
  ];
  const fault = random() < 0.1 ? ({ kind: 'stall', after: bytes } as const) : pick(faults);
  const manifest = fault.kind === 'fail-after' && random() < 0.2;
  return {
    op: 'put',
    key: manifest ? /manifest\.json$/ : /\.bin$/,
    // A stall is bounded by stallTimeout only while the dump streams: later puts are bounded by operation timeouts.
    times: fault.kind === 'stall' ? 1 : random() < 0.5 ? 1 : Number.POSITIVE_INFINITY,
    fault,
  };
}

function randomGetRule(random: () => number, pick: <T>(items: readonly T[]) => T, size: number): FaultRule {
  const fault: Fault = pick<Fault>([
    { kind: 'replace-after-read', bytes: pseudoRandom(size, 99) },
    { kind: 'fail-after', bytes: Math.floor(random() * (size + 1)), error: 'ECONNRESET' },
  ]);
  return { op: 'get', key: /\.bin$/, times: random() < 0.5 ? 1 : Number.POSITIVE_INFINITY, fault };
}

async function checkInvariants(t: Harness, runs: readonly JobResult[], where: string): Promise<void> {
  for (const run of runs) {
    const verified = run.copies.filter((c) => c.status === 'verified').length;
    const expected = verified === run.copies.length ? 'ok' : verified > 0 ? 'degraded' : 'failed';
    expect(run.status, `${where}: status agrees with the copies`).toBe(expected);
    const row = await t.session.catalog.getBackup(run.backupId);
    expect(row?.status, `${where}: catalog status`).toBe(run.status);
    for (const copy of run.copies.filter((c) => c.status === 'verified')) {
      const stored = t.destinations[copy.destination]?.objects.get(copy.key);
      expect(stored && sha(stored), `${where}: verified copy on ${copy.destination} is the artifact`).toBe(
        sha(t.body(run.job)),
      );
    }
  }
  // Nothing under a final name that does not match its manifest.
  for (const [name, destination] of Object.entries(t.destinations)) {
    for (const [key, bytes] of destination.objects) {
      if (key.endsWith(MANIFEST_NAME)) continue;
      const folder = key.slice(0, key.lastIndexOf('/') + 1);
      const manifestText = destination.objects.get(`${folder}${MANIFEST_NAME}`);
      expect(manifestText, `${where}: ${name}:${key} has a manifest`).toBeDefined();
      const manifest = JSON.parse(String(manifestText)) as Manifest;
      expect(manifest.artifact.key, `${where}: ${name}:${key}`).toBe(key);
      expect(sha(bytes), `${where}: ${name}:${key} matches its manifest`).toBe(manifest.artifact.sha256);
    }
  }
}

async function restoreChecked(
  t: Harness,
  s: Schedule,
  runs: readonly JobResult[],
  where: string,
): Promise<void> {
  for (const [name, rule] of s.restoreFaults) t.destinations[name]?.inject(rule);
  for (const run of runs.filter((r) => r.status !== 'failed')) {
    const backup = await t.session.catalog.getBackup(run.backupId);
    if (backup === undefined) continue;
    const path = `/restored/${run.job}`;
    try {
      await restoreBackup(t.session, backup, { path });
    } catch (error) {
      expect(t.restored.has(path), `${where}: nothing applied after ${String(error)}`).toBe(false);
      continue;
    }
    expect(t.restored.get(path)?.equals(t.body(run.job)), `${where}: restore applied the hashed bytes`).toBe(
      true,
    );
  }
}

/** A hang is a failure too: a generous bound, far above a trial's normal length, not a timing assertion. */
async function finishes<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within 20 s (hung)`)), 20_000);
  });
  try {
    return await Promise.race([work, hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe('chaos: random faults against the memory destination', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => {
    console.log(
      `chaos: seeds ${FIRST_SEED}..${FIRST_SEED + TRIALS - 1} (replay one: TRICOPY_CHAOS_SEED=<seed> TRICOPY_CHAOS_TRIALS=1)`,
    );
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  });

  it(`${TRIALS} trials hold every invariant`, { timeout: 110_000 }, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const seed = FIRST_SEED + trial;
      const where = `seed ${seed}`;
      const s = schedule(seed);
      if (process.env.TRICOPY_CHAOS_DEBUG)
        console.log(
          where,
          JSON.stringify(s, (k, v) =>
            v instanceof RegExp ? String(v) : k === 'bytes' && typeof v === 'object' ? 'buf' : v,
          ),
        );
      const t = await harness({
        destinations: s.destinations,
        jobs: s.jobs,
        body: (job) => pseudoRandom(s.bodySize, job === 'app' ? seed : seed + 1),
        retries: s.retries,
        spool: s.spool,
        stallTimeout: '20ms',
      });
      try {
        const report = await finishes(runBackups(t.session, s.jobs), `${where}: backup`);
        expect(
          report.runs.map((r) => r.job),
          `${where}: every job ran`,
        ).toEqual(s.jobs);
        await checkInvariants(t, report.runs, where);
        await finishes(restoreChecked(t, s, report.runs, where), `${where}: restore`);
        // Let a late rejection surface inside this trial.
        await new Promise((resolve) => setImmediate(resolve));
        expect(unhandled, `${where}: no unhandled rejection or uncaught exception`).toEqual([]);
      } catch (error) {
        if (process.env.TRICOPY_CHAOS_DEBUG)
          console.log(t.logs, Object.fromEntries(Object.entries(t.destinations).map(([n, d]) => [n, d.log])));
        throw error;
      } finally {
        await t.close();
      }
    }
  });
});
