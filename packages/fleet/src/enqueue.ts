import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadedConfig } from '@tricopy/core';
import type { PgBoss } from 'pg-boss';
import { BACKUP_QUEUE, type RunOutput, type RunRequest } from './queue.js';

const WAITING = new Set(['created', 'retry', 'active']);

export interface QueuedRun {
  readonly job: string;
  /** The queued run's id (the one already queued or running, when it was). */
  readonly id: string | undefined;
  /** False when the job was already queued or running: it was not queued again. */
  readonly queued: boolean;
}

export interface FinishedRun extends QueuedRun {
  readonly state: string;
  readonly output?: RunOutput;
  readonly error?: string;
}

/** Queues one run per job; a job already queued, waiting for a retry or running is not queued twice. */
export async function enqueueRuns(
  boss: PgBoss,
  config: LoadedConfig,
  jobs: readonly string[],
): Promise<QueuedRun[]> {
  const runs: QueuedRun[] = [];
  for (const job of jobs) {
    const request: RunRequest = { job, configHash: config.configHash, by: 'enqueue' };
    const id = await boss.send(BACKUP_QUEUE, request, { singletonKey: job });
    if (id !== null) {
      runs.push({ job, id, queued: true });
      continue;
    }
    const existing = (await boss.findJobs(BACKUP_QUEUE, { key: job })).find((j) => WAITING.has(j.state));
    runs.push({ job, id: existing?.id, queued: false });
  }
  return runs;
}

/** Why an attempt of a run failed while it waits to be tried again (e.g. a worker with another config refused it). */
export type OnRetry = (run: QueuedRun, reason: string) => void;

/**
 * Waits until every run has ended (completed, failed for good, or cancelled); each failed attempt that will be
 * retried is told to `onRetry` once.
 */
export async function waitForRuns(
  boss: PgBoss,
  runs: readonly QueuedRun[],
  signal: AbortSignal,
  onRetry: OnRetry = () => undefined,
): Promise<FinishedRun[]> {
  const finished: FinishedRun[] = [];
  const told = new Set<string>();
  for (const run of runs) {
    if (run.id === undefined) {
      finished.push({ ...run, state: 'completed', error: 'it finished before it could be followed' });
      continue;
    }
    for (;;) {
      const [job] = await whileReachable(
        () => boss.findJobs<RunRequest>(BACKUP_QUEUE, { id: run.id }),
        signal,
      );
      if (job === undefined) {
        finished.push({ ...run, state: 'unknown', error: 'the run is no longer in the queue' });
        break;
      }
      if (!WAITING.has(job.state)) {
        finished.push(describe(run, job.state, job.output));
        break;
      }
      const attempt = `${run.id}/${job.retryCount}`;
      if (job.state === 'retry' && !told.has(attempt)) {
        told.add(attempt);
        onRetry(run, failureMessage(job.output) ?? 'its attempt failed');
      }
      await sleep(1000, undefined, { signal }).catch(() => signal.throwIfAborted());
    }
  }
  return finished;
}

/** How long the wait rides out a catalog database that does not answer (a restart takes seconds). */
const UNREACHABLE_MS = 300_000;

/** Connection errors of a database restarting: ended by its administrator, refused, reset, or not ready yet. */
function isTransient(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03'].includes(code) || code.startsWith('08')
  );
}

/**
 * `query`, asked again each second while the catalog's database is restarting (up to UNREACHABLE_MS): a wait must
 * not end as a failure while the runs it waits for are retried across the restart.
 */
async function whileReachable<T>(query: () => Promise<T>, signal: AbortSignal): Promise<T> {
  const deadline = Date.now() + UNREACHABLE_MS;
  for (;;) {
    try {
      return await query();
    } catch (error) {
      if (!isTransient(error) || Date.now() > deadline) throw error;
      await sleep(1000, undefined, { signal }).catch(() => signal.throwIfAborted());
    }
  }
}

function describe(run: QueuedRun, state: string, output: unknown): FinishedRun {
  if (state === 'completed') return { ...run, state, output: output as RunOutput };
  return { ...run, state, error: failureMessage(output) ?? `the run ended ${state}` };
}

/** The error pg-boss stored for a failed attempt. */
function failureMessage(output: unknown): string | undefined {
  const message = (output as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : undefined;
}
