import type { JobSpec } from '../config/load.js';
import type { Manifest } from '../manifest/manifest.js';
import type { CompressionKind } from '../pipeline/compression.js';
import { HashCounter } from '../pipeline/hash-counter.js';
import type { BackupEvents, RunStatus } from '../results/backup-result.js';
import type { Session } from '../session/session.js';
import { newBackupId } from '../util/ids.js';
import type { Copy } from './backup-copy.js';

/** What every step of one backup run works with. Created by openRun; `dispose` clears its timer and listener. */
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
  /** The artifact's likely size when known better than by the job's last backup (a WAL file: its own size). */
  readonly sizeHint?: number;
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
