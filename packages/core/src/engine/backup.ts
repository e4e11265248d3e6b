import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Destination, Dump, DumpInfo, PutResult, Source } from '@tricopy/contract';
import type { JobSpec } from '../config/load.js';
import {
  COMPRESSION_SUFFIX,
  type CompressionKind,
  chooseCompression,
  createCompressor,
} from '../pipeline/compression.js';
import { FanOut } from '../pipeline/fan-out.js';
import { HashCounter } from '../pipeline/hash-counter.js';
import { describeError } from '../util/errors.js';
import { newBackupId } from '../util/ids.js';
import { TRICOPY_VERSION } from '../version.js';
import { crossCheck, type Produced } from './cross-check.js';
import { backupPrefix, MANIFEST_VERSION, type Manifest, manifestKey } from './manifest.js';
import { evaluatePolicy, type PolicyStatus } from './policy.js';
import { retryCopy } from './retry-copy.js';
import type { Session } from './session.js';

export type RunStatus = 'ok' | 'degraded' | 'failed';

export interface CopyResult {
  readonly destination: string;
  readonly status: 'verified' | 'failed';
  readonly key: string;
  readonly location?: string;
  readonly size?: number;
  readonly sha256?: string;
  readonly attempts: number;
  readonly error?: string;
}

export interface JobResult {
  readonly job: string;
  readonly backupId: string;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly size?: number;
  readonly sha256?: string;
  readonly compression?: CompressionKind;
  readonly copies: readonly CopyResult[];
  readonly error?: string;
  /** 3-2-1 status of the verified copies. */
  readonly policy: PolicyStatus;
  /** Why the backup is suspiciously small (set after the run by `flagIfShrunk`), if it is. */
  readonly flagged?: string;
}

export interface BackupEvents {
  onJobStart?(info: {
    job: string;
    backupId: string;
    destinations: readonly string[];
    bytes: () => number;
  }): void;
  onCopyDone?(job: string, copy: CopyResult): void;
  onJobDone?(result: JobResult): void;
}

interface CopyState {
  readonly destination: string;
  instance?: Destination;
  put?: PutResult;
  attempts: number;
  verified?: { size: number; sha256: string; location: string };
  error?: string;
}

/** Runs one backup of one job: one read of the source, every copy written concurrently and cross-checked. */
export async function backupJob(
  session: Session,
  jobName: string,
  options: { events?: BackupEvents; runId?: number; signal?: AbortSignal } = {},
): Promise<JobResult> {
  const job = session.job(jobName);
  const started = session.now();
  const backupId = newBackupId(started);
  const log = session.logger;
  session.catalog.insertBackup({
    id: backupId,
    job: job.name,
    sourceType: job.source.type,
    startedAt: started.toISOString(),
    ...(options.runId === undefined ? {} : { runId: options.runId }),
  });

  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const timer =
    job.timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => abort.abort(new Error(`job "${job.name}" timed out after ${job.timeoutMs} ms`)),
          job.timeoutMs,
        );

  const states: CopyState[] = job.destinations.map((destination) => ({ destination, attempts: 0 }));
  let spoolPath: string | undefined;
  let hasher: HashCounter | undefined;
  options.events?.onJobStart?.({
    job: job.name,
    backupId,
    destinations: job.destinations,
    bytes: () => hasher?.bytes ?? 0,
  });

  const finish = (
    status: RunStatus,
    extra: Partial<JobResult> & { manifest?: Manifest; format?: string; artifactKey?: string },
  ) => {
    const finishedAt = session.now().toISOString();
    const copies = states.map((s) => toCopyResult(s, keyOf(extra)));
    const verifiedPlacements = copies
      .filter((c) => c.status === 'verified')
      .map((c) => session.destinationSpec(c.destination));
    const result: JobResult = {
      job: job.name,
      backupId,
      status,
      startedAt: started.toISOString(),
      finishedAt,
      copies,
      policy: evaluatePolicy(verifiedPlacements, session.config.policy),
      ...(extra.size === undefined ? {} : { size: extra.size }),
      ...(extra.sha256 === undefined ? {} : { sha256: extra.sha256 }),
      ...(extra.compression === undefined ? {} : { compression: extra.compression }),
      ...(extra.error === undefined ? {} : { error: session.redact(extra.error) }),
    };
    session.catalog.transaction(() => {
      for (const copy of copies) {
        session.catalog.upsertCopy({
          backupId,
          destination: copy.destination,
          status: copy.status,
          key: copy.key,
          location: copy.location ?? null,
          size: copy.size ?? null,
          sha256: copy.sha256 ?? null,
          attempts: copy.attempts,
          error: copy.error === undefined ? null : session.redact(copy.error),
        });
      }
      session.catalog.finishBackup(backupId, {
        status,
        finishedAt,
        ...(extra.format === undefined ? {} : { format: extra.format }),
        ...(extra.compression === undefined ? {} : { compression: extra.compression }),
        ...(extra.manifest === undefined
          ? {}
          : { artifactKey: extra.manifest.artifact.key, manifest: extra.manifest }),
        ...(extra.size === undefined ? {} : { size: extra.size }),
        ...(extra.sha256 === undefined ? {} : { sha256: extra.sha256 }),
        ...(result.error === undefined ? {} : { error: result.error }),
      });
    });
    for (const copy of copies) options.events?.onCopyDone?.(job.name, copy);
    options.events?.onJobDone?.(result);
    return result;
  };

  try {
    let source: Source;
    try {
      source = await session.source(job.name);
    } catch (error) {
      return finish('failed', { error: `source: ${describeError(error)}` });
    }

    await Promise.all(
      states.map(async (state) => {
        try {
          state.instance = await session.destination(state.destination);
        } catch (error) {
          state.error = describeError(error);
        }
      }),
    );
    if (states.every((s) => s.instance === undefined)) {
      return finish('failed', { error: 'no destination of this job could be opened' });
    }

    let dump: Dump;
    try {
      dump = await untilAborted(source.dump({ signal: abort.signal }), abort.signal);
    } catch (error) {
      return finish('failed', { error: describeError(error) });
    }
    // Settles later; observe it now so an early rejection is never unhandled.
    const completion: Promise<{ ok: true; info: DumpInfo } | { ok: false; error: unknown }> =
      dump.completion.then(
        (info) => ({ ok: true, info }),
        (error: unknown) => ({ ok: false, error }),
      );

    spoolPath = job.spool ? join(await session.workDir(), `${job.name}.spool`) : undefined;
    const compression = chooseCompression(job.compression, dump.compressed === true);
    const artifactKey = `${backupPrefix(job.name, backupId)}${job.name}.${dump.extension}${COMPRESSION_SUFFIX[compression]}`;
    const keyed = { artifactKey };

    const outcome = await streamToDestinations(
      session,
      job,
      dump,
      compression,
      artifactKey,
      states,
      spoolPath,
      abort.signal,
      (h) => {
        hasher = h;
      },
    );
    // A source that ignores the signal (a hung dump tool) must not hold the run past its timeout.
    const dumped = await untilAborted(completion, abort.signal).catch((error: unknown) => ({
      ok: false as const,
      error,
    }));

    if (!dumped.ok || outcome.error !== undefined) {
      // When every destination failed, the dump was stopped because of it: its own error is not the cause.
      const reason = outcome.destinationsFailed
        ? `every destination failed during the dump, so there is no copy to retry from (set spool: true on the job to keep one): ${summarizeFailures(states)}`
        : !dumped.ok
          ? describeError(dumped.error)
          : (outcome.error as string);
      const details =
        !outcome.destinationsFailed && !dumped.ok
          ? (dumped.error as { details?: string }).details
          : undefined;
      await removeCopies(states, artifactKey, log);
      for (const state of states) {
        state.verified = undefined;
        state.error ??= 'not kept: the dump failed';
      }
      log.error(
        `job ${job.name}: ${session.redact(reason)}`,
        details ? { details: session.redact(details) } : undefined,
      );
      return finish('failed', { ...keyed, error: reason, compression });
    }

    const produced: Produced = outcome.produced as Produced;
    if (produced.size === 0) {
      await removeCopies(states, artifactKey, log);
      for (const state of states) state.verified = undefined;
      return finish('failed', { ...keyed, error: 'the dump produced no bytes', compression });
    }

    await Promise.all(states.map((state) => checkCopy(session, state, artifactKey, produced)));
    await retryFailedCopies(session, job, states, artifactKey, produced, outcome.spoolPath, abort.signal);

    const manifest = buildManifest(
      session,
      job,
      backupId,
      started,
      source,
      dump,
      dumped.info,
      compression,
      artifactKey,
      produced,
      states,
    );
    await Promise.all(
      states.filter((s) => s.verified).map((state) => writeManifest(session, state, manifest)),
    );

    const verified = states.filter((s) => s.verified).length;
    const status: RunStatus = verified === states.length ? 'ok' : verified > 0 ? 'degraded' : 'failed';
    const finalManifest = { ...manifest, copies: manifestCopies(states, artifactKey) };
    return finish(status, {
      ...keyed,
      size: produced.size,
      sha256: produced.sha256,
      compression,
      manifest: finalManifest,
      format: dump.format,
      ...(status === 'ok' ? {} : { error: summarizeFailures(states) }),
    });
  } catch (error) {
    return finish('failed', { error: describeError(error) });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
    if (spoolPath !== undefined) await rm(spoolPath, { force: true }).catch(() => undefined);
  }
}

/** Settles like `promise`, or rejects with the abort reason as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function keyOf(extra: { artifactKey?: string }): string {
  return extra.artifactKey ?? '';
}

function toCopyResult(state: CopyState, key: string): CopyResult {
  if (state.verified !== undefined) {
    return {
      destination: state.destination,
      status: 'verified',
      key,
      location: state.verified.location,
      size: state.verified.size,
      sha256: state.verified.sha256,
      attempts: state.attempts,
    };
  }
  return {
    destination: state.destination,
    status: 'failed',
    key,
    attempts: state.attempts,
    error: state.error ?? 'not written',
    ...(state.put === undefined ? {} : { location: state.put.location }),
  };
}

interface StreamOutcome {
  produced?: Produced;
  /** Set when the spool file holds the whole artifact. */
  spoolPath?: string;
  error?: string;
  /** The pipeline stopped because no destination (and no spool) was left to write to. */
  destinationsFailed?: boolean;
}

async function streamToDestinations(
  session: Session,
  job: JobSpec,
  dump: Dump,
  compression: CompressionKind,
  key: string,
  states: CopyState[],
  spoolPath: string | undefined,
  signal: AbortSignal,
  exposeHasher: (h: HashCounter) => void,
): Promise<StreamOutcome> {
  const live = states.filter((s) => s.instance !== undefined);
  const branchNames = [...live.map((s) => s.destination), ...(spoolPath === undefined ? [] : ['\0spool'])];
  const fanOut = new FanOut(branchNames, { stallMs: session.config.stallTimeoutMs });
  const hasher = new HashCounter();
  exposeHasher(hasher);

  const previous = session.catalog.listBackups({ job: job.name, statuses: ['ok', 'degraded'] })[0];
  const sizeHint = previous?.size == null ? {} : { sizeHint: previous.size };
  let destinationsFailed = false;
  const stopIfNoneLeft = () => {
    if (fanOut.aliveCount > 0) return;
    destinationsFailed = true;
    fanOut.destroy(new Error('every destination failed during the dump'));
  };
  const puts = live.map(async (state) => {
    const branch = fanOut.branches.find((b) => b.name === state.destination);
    if (branch === undefined || state.instance === undefined) return;
    // detach() destroys the branch with the put's error; a put that failed before reading its body (missing folder,
    // refused login) left no listener on it, and an unheard 'error' event would crash the whole run.
    branch.stream.on('error', () => undefined);
    state.attempts++;
    try {
      state.put = await state.instance.put(key, branch.stream, { signal, ...sizeHint });
      fanOut.detach(state.destination);
    } catch (error) {
      state.error = describeError(error);
      fanOut.detach(state.destination, error instanceof Error ? error : new Error(String(error)));
      session.logger.warn(
        `job ${job.name}: destination ${state.destination} failed: ${session.redact(state.error)}`,
      );
      stopIfNoneLeft();
    }
  });
  let spooled = false;
  const spool = (async () => {
    const branch = fanOut.branches.find((b) => b.name === '\0spool');
    if (branch === undefined || spoolPath === undefined) return;
    try {
      await pipeline(branch.stream, createWriteStream(spoolPath, { mode: 0o600 }));
      spooled = true;
    } catch (error) {
      // Like a failed destination: detached, so the fan-out never waits on it; the copies go on without it.
      fanOut.detach('\0spool');
      if (!signal.aborted && !destinationsFailed) {
        session.logger.warn(
          `job ${job.name}: the spool file ${spoolPath} could not be written (${describeError(error)}); failed copies can only be retried from a completed copy`,
        );
      }
      stopIfNoneLeft();
    }
  })();

  const compressor = createCompressor(compression, job.compressionLevel);
  let pipelineError: string | undefined;
  try {
    if (compressor === undefined) await pipeline(dump.stream, hasher, fanOut, { signal });
    else await pipeline(dump.stream, compressor, hasher, fanOut, { signal });
  } catch (error) {
    pipelineError = signal.aborted ? describeError(signal.reason) : describeError(error);
  }
  await Promise.all(puts);
  await spool;
  if (pipelineError !== undefined) {
    return { error: pipelineError, ...(destinationsFailed && !signal.aborted ? { destinationsFailed } : {}) };
  }
  return {
    produced: { size: hasher.bytes, sha256: hasher.sha256 },
    ...(spoolPath !== undefined && spooled ? { spoolPath } : {}),
  };
}

async function checkCopy(session: Session, state: CopyState, key: string, produced: Produced): Promise<void> {
  if (state.put === undefined || state.instance === undefined) return;
  try {
    const outcome = await crossCheck(state.instance, key, state.put, produced);
    if (outcome.ok) {
      state.verified = { size: outcome.size, sha256: outcome.sha256, location: state.put.location };
      state.error = undefined;
    } else {
      state.error = outcome.message;
      session.logger.error(
        `copy on ${state.destination} does not match what was produced: ${outcome.message}`,
      );
      await state.instance.delete(key).catch(() => undefined);
    }
    session.catalog.recordVerification({
      backupId: key.split('/')[1] as string,
      destination: state.destination,
      level: 'backup',
      status: outcome.ok ? 'ok' : outcome.kind,
      expectedSize: produced.size,
      expectedSha256: produced.sha256,
      actualSize: outcome.ok ? outcome.size : (outcome.actualSize ?? null),
      actualSha256: outcome.ok ? outcome.sha256 : (outcome.actualSha256 ?? null),
      detail: outcome.ok ? outcome.how : outcome.message,
    });
  } catch (error) {
    state.error = `cross-check failed: ${describeError(error)}`;
  }
}

async function retryFailedCopies(
  session: Session,
  job: JobSpec,
  states: CopyState[],
  key: string,
  produced: Produced,
  spoolPath: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  const failed = states.filter((s) => s.verified === undefined);
  if (failed.length === 0 || session.config.retries.attempts === 0) return;
  const verifiedNames = () => states.filter((s) => s.verified !== undefined).map((s) => s.destination);
  if (verifiedNames().length === 0 && spoolPath === undefined) {
    session.logger.warn(
      `job ${job.name}: no copy survived; nothing to retry from (set spool: true to keep one)`,
    );
    return;
  }
  await Promise.all(
    failed.map(async (state) => {
      const result = await retryCopy(session, {
        job: job.name,
        destination: state.destination,
        key,
        produced,
        candidates: verifiedNames(),
        ...(spoolPath === undefined ? {} : { spoolPath }),
        signal,
        previousError: state.error,
      });
      state.attempts += result.attempts;
      if (result.verified !== undefined) {
        state.verified = result.verified;
        state.error = undefined;
        state.put = { size: result.verified.size, location: result.verified.location };
      } else if (result.error !== undefined) {
        state.error = result.error;
      }
    }),
  );
}

function buildManifest(
  session: Session,
  job: JobSpec,
  backupId: string,
  started: Date,
  source: Source,
  dump: Dump,
  info: DumpInfo,
  compression: CompressionKind,
  key: string,
  produced: Produced,
  states: CopyState[],
): Manifest {
  const manifest: Manifest = {
    manifestVersion: MANIFEST_VERSION,
    tool: { name: 'tricopy', version: TRICOPY_VERSION },
    job: job.name,
    backupId,
    createdAt: started.toISOString(),
    finishedAt: session.now().toISOString(),
    source: {
      type: job.source.type,
      description: session.redact(source.describe()),
      engine: info.engine,
      engineVersion: info.engineVersion,
      ...(info.toolVersion === undefined ? {} : { toolVersion: info.toolVersion }),
      ...(info.details === undefined ? {} : { details: info.details }),
    },
    artifact: {
      key,
      format: dump.format,
      extension: dump.extension,
      compression,
      size: produced.size,
      sha256: produced.sha256,
    },
    ...(info.tables === undefined ? {} : { tables: info.tables }),
    dumps: 1,
    copies: manifestCopies(states, key),
  };
  // A manifest must never carry a secret, whatever a plugin put in its details.
  return JSON.parse(session.redact(JSON.stringify(manifest))) as Manifest;
}

function manifestCopies(states: CopyState[], key: string): Manifest['copies'] {
  return states.filter((s) => s.verified !== undefined).map((s) => ({ destination: s.destination, key }));
}

async function writeManifest(session: Session, state: CopyState, manifest: Manifest): Promise<void> {
  const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  const key = manifestKey(manifest.job, manifest.backupId);
  let lastError: unknown;
  for (let attempt = 0; attempt <= session.config.retries.attempts; attempt++) {
    try {
      const destination = await session.destination(state.destination);
      const { Readable } = await import('node:stream');
      const put = await destination.put(key, Readable.from([body]));
      const stat = await destination.stat(key);
      if (put.size === body.length && stat?.size === body.length) return;
      lastError = new Error(`manifest stored with ${stat?.size ?? put.size} bytes instead of ${body.length}`);
    } catch (error) {
      lastError = error;
      await session.forgetDestination(state.destination);
    }
  }
  state.verified = undefined;
  state.error = `the manifest could not be written: ${describeError(lastError)}`;
  session.logger.error(`destination ${state.destination}: ${session.redact(state.error)}`);
}

async function removeCopies(
  states: CopyState[],
  key: string,
  log: { debug(m: string): void },
): Promise<void> {
  await Promise.all(
    states
      .filter((s) => s.put !== undefined && s.instance !== undefined)
      .map((s) =>
        s.instance
          ?.delete(key)
          .catch((error) => log.debug(`cleanup on ${s.destination}: ${describeError(error)}`)),
      ),
  );
}

function summarizeFailures(states: CopyState[]): string {
  return states
    .filter((s) => s.verified === undefined)
    .map((s) => `${s.destination}: ${s.error ?? 'failed'}`)
    .join('; ');
}
