import type { JobSpec } from '../config/load.js';
import { backupPolicy } from '../copies/policy.js';
import type { Manifest } from '../manifest/manifest.js';
import type { CompressionKind } from '../pipeline/compression.js';
import { HashCounter } from '../pipeline/hash-counter.js';
import type { Session } from '../session/session.js';
import { newBackupId } from '../util/ids.js';
import type { BackupEvents, CopyResult, JobResult, RunStatus } from './backup.js';
import type { Copy } from './backup-copy.js';

/** What every step of one backup run works with. Created by openRun, disposed by closeRun. */
export interface RunContext {
  readonly session: Session;
  readonly job: JobSpec;
  readonly backupId: string;
  readonly started: Date;
  /** Aborts on the caller's signal and on the job's timeout. */
  readonly signal: AbortSignal;
  readonly events: BackupEvents | undefined;
  /** Counts and hashes the artifact's bytes as they are produced. */
  readonly hasher: HashCounter;
  readonly dispose: () => void;
}

/** How a run ended, as the last step records it. */
export interface RunOutcome {
  readonly status: RunStatus;
  readonly copies: readonly Copy[];
  readonly error?: string;
  readonly artifact?: {
    readonly key: string;
    readonly compression: CompressionKind;
    readonly size?: number;
    readonly sha256?: string;
    readonly format?: string;
  };
  readonly manifest?: Manifest;
}

export async function openRun(
  session: Session,
  jobName: string,
  options: { events?: BackupEvents; runId?: number; signal?: AbortSignal },
): Promise<RunContext> {
  const job = session.job(jobName);
  const started = session.now();
  const backupId = newBackupId(started);
  await session.catalog.insertBackup({
    id: backupId,
    job: job.name,
    sourceType: job.source.type,
    startedAt: started.toISOString(),
    ...(options.runId === undefined ? {} : { runId: options.runId }),
  });
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) onOuterAbort();
  const timer =
    job.timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => abort.abort(new Error(`job "${job.name}" timed out after ${job.timeoutMs} ms`)),
          job.timeoutMs,
        );
  const hasher = new HashCounter();
  options.events?.onJobStart?.({
    job: job.name,
    backupId,
    destinations: job.destinations,
    bytes: () => hasher.bytes,
  });
  return {
    session,
    job,
    backupId,
    started,
    signal: abort.signal,
    events: options.events,
    hasher,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onOuterAbort);
    },
  };
}

function encryptionOf(run: RunContext): Pick<JobResult, 'encrypted' | 'recipients'> {
  const recipients = run.job.encryption?.recipients;
  return recipients === undefined ? { encrypted: false } : { encrypted: true, recipients };
}

/** The last step: one catalog transaction for the backup and its copies, then the events. */
export async function recordRun(run: RunContext, outcome: RunOutcome): Promise<JobResult> {
  const { session } = run;
  const finishedAt = session.now().toISOString();
  const key = outcome.artifact?.key ?? '';
  const copies = outcome.copies.map((copy) => toCopyResult(run, copy, key));
  const artifact = outcome.artifact;
  const facts = {
    ...(artifact?.size === undefined ? {} : { size: artifact.size }),
    ...(artifact?.sha256 === undefined ? {} : { sha256: artifact.sha256 }),
    ...(artifact === undefined ? {} : { compression: artifact.compression }),
  };
  const error = outcome.error === undefined ? undefined : session.redact(outcome.error);
  const result: JobResult = {
    job: run.job.name,
    backupId: run.backupId,
    status: outcome.status,
    startedAt: run.started.toISOString(),
    finishedAt,
    copies,
    policy: backupPolicy(copies, session.config),
    ...facts,
    ...encryptionOf(run),
    ...(error === undefined ? {} : { error }),
  };
  await session.catalog.transaction(async (tx) => {
    for (const copy of copies) {
      await tx.upsertCopy({
        backupId: run.backupId,
        destination: copy.destination,
        status: copy.status,
        key: copy.key,
        location: copy.location ?? null,
        size: copy.size ?? null,
        sha256: copy.sha256 ?? null,
        attempts: copy.attempts,
        error: copy.error ?? null,
      });
    }
    await tx.finishBackup(run.backupId, {
      status: outcome.status,
      finishedAt,
      ...facts,
      ...(artifact?.format === undefined ? {} : { format: artifact.format }),
      ...(outcome.manifest === undefined
        ? {}
        : { artifactKey: outcome.manifest.artifact.key, manifest: outcome.manifest }),
      ...(error === undefined ? {} : { error }),
    });
  });
  for (const copy of copies) run.events?.onCopyDone?.(run.job.name, copy);
  run.events?.onJobDone?.(result);
  return result;
}

function toCopyResult(run: RunContext, copy: Copy, key: string): CopyResult {
  const base = { destination: copy.destination, key, attempts: copy.attempts };
  switch (copy.state) {
    case 'verified':
      return { ...base, status: 'verified', location: copy.location, size: copy.size, sha256: copy.sha256 };
    case 'failed':
      return {
        ...base,
        status: 'failed',
        error: run.session.redact(copy.error),
        ...(copy.location === undefined ? {} : { location: copy.location }),
      };
    default:
      // A copy no step finished with (an unexpected error stopped the run): not kept.
      return { ...base, status: 'failed', error: 'not written' };
  }
}
