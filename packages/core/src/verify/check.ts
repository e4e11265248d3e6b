import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { SourceStatus } from '@tricopy/contract';
import { checkStoredCopy } from '../copies/copy-check.js';
import { jobContinuity } from '../copies/job-wal.js';
import { evaluatePolicy, type PolicyStatus } from '../copies/policy.js';
import type { WalContinuity } from '../copies/wal-chain.js';
import { hashStream } from '../pipeline/hash-counter.js';
import type { Session } from '../session/session.js';
import { describeError } from '../util/errors.js';

export interface DestinationProbe {
  readonly destination: string;
  readonly type: string;
  readonly media: string;
  readonly offsite: boolean;
  readonly ok: boolean;
  readonly error?: string;
  /** Said of a destination that passed without a probe write: its folder does not exist yet, and check made none. */
  readonly note?: string;
}

export interface SourceProbe {
  readonly job: string;
  readonly ok: boolean;
  readonly description?: string;
  readonly status?: SourceStatus;
  readonly error?: string;
  /** The job has rotating restore tests (`verify.restoreTest`), which fail without `status.restoreNeeds`. */
  readonly restoreTests: boolean;
}

export interface JobCheck {
  readonly job: string;
  readonly policy: PolicyStatus;
  /** Destinations of the job whose probe failed. */
  readonly unreachable: readonly string[];
  /** The age recipients of the job's artifacts; empty when its copies are plaintext. */
  readonly recipients: readonly string[];
  /** Why some of its notify targets cannot be used (an unset variable). */
  readonly notifyUnusable: readonly string[];
  /** WAL continuity from its oldest base backup on (PostgreSQL base backups); absent for other jobs. */
  readonly wal?: WalContinuity;
}

export interface CheckReport {
  readonly destinations: readonly DestinationProbe[];
  readonly sources: readonly SourceProbe[];
  readonly jobs: readonly JobCheck[];
  readonly ok: boolean;
}

/** Tests every destination for real (write, read back, stat, list, delete a probe) and every source. */
export async function checkConfig(session: Session, jobNames?: readonly string[]): Promise<CheckReport> {
  const jobs = jobNames ?? [...session.config.jobs.keys()];
  for (const name of jobs) session.job(name);
  const destinationNames = [...new Set(jobs.flatMap((name) => session.job(name).destinations))];
  const [destinations, sources] = await Promise.all([
    Promise.all(destinationNames.map((name) => probeDestination(session, name))),
    Promise.all(jobs.map((name) => probeSource(session, name))),
  ]);
  const failedDestinations = new Set(destinations.filter((d) => !d.ok).map((d) => d.destination));
  // Only destinations that passed their probe count: an unreachable one holds no copy tonight.
  const jobChecks = await Promise.all(
    jobs.map(async (name): Promise<JobCheck> => {
      const reachable = session.job(name).destinations.filter((d) => !failedDestinations.has(d));
      const wal = await jobContinuity(session.catalog, name, session.job(name).destinations);
      return {
        job: name,
        policy: evaluatePolicy(
          reachable.map((d) => session.destinationSpec(d)),
          session.config.policy,
        ),
        unreachable: session.job(name).destinations.filter((d) => failedDestinations.has(d)),
        recipients: session.job(name).encryption?.recipients ?? [],
        notifyUnusable: session.job(name).notifyUnusable ?? [],
        ...(wal === undefined ? {} : { wal }),
      };
    }),
  );
  const policyFails = session.config.policy.enforce === 'error' && jobChecks.some((j) => !j.policy.met);
  const notifyFails = jobChecks.some((j) => j.notifyUnusable.length > 0);
  const walFails = jobChecks.some((j) => j.wal !== undefined && !j.wal.ok);
  const ok =
    destinations.every((d) => d.ok) &&
    sources.every((s) => s.ok) &&
    !policyFails &&
    !notifyFails &&
    !walFails;
  return { destinations, sources, jobs: jobChecks, ok };
}

async function probeDestination(session: Session, name: string): Promise<DestinationProbe> {
  const spec = session.destinationSpec(name);
  const base = { destination: name, type: spec.type, media: spec.media, offsite: spec.offsite };
  const key = `.tricopy-probe/${randomBytes(6).toString('hex')}`;
  const body = randomBytes(4096);
  try {
    const destination = await session.destination(name);
    // A check creates nothing: a destination a probe write would have to create is reported, not created.
    const missing = await destination.missing?.();
    if (missing !== undefined) {
      const message = session.redact(missing.message);
      return missing.creatable
        ? { ...base, ok: true, note: message }
        : { ...base, ok: false, error: message };
    }
    const put = await destination.put(key, Readable.from([body]));
    try {
      // Judged as every copy is: what put observed, what stat shows, and every byte read back.
      const expected = await hashStream(Readable.from([body]));
      const check = await checkStoredCopy(destination, key, expected, { put, deep: true });
      if (!check.ok) throw new Error(`probe ${check.message}`);
      let listed = false;
      for await (const object of destination.list('.tricopy-probe/')) if (object.key === key) listed = true;
      if (!listed) throw new Error('probe not listed after writing it');
    } finally {
      await destination.delete(key);
    }
    if ((await destination.stat(key)) !== undefined) throw new Error('probe still there after deleting it');
    return { ...base, ok: true };
  } catch (error) {
    return { ...base, ok: false, error: session.redact(describeError(error)) };
  }
}

async function probeSource(session: Session, job: string): Promise<SourceProbe> {
  const restoreTests = session.config.jobs.get(job)?.verifyEvery?.restoreTestMs !== undefined;
  try {
    const source = await session.source(job);
    const status = await source.check();
    return { job, ok: true, description: session.redact(source.describe()), status, restoreTests };
  } catch (error) {
    return { job, ok: false, error: session.redact(describeError(error)), restoreTests };
  }
}
