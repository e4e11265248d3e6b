import { describeError } from '../util/errors.js';
import { type BackupEvents, backupJob, type JobResult, type RunStatus } from './backup.js';
import { evaluatePolicy, jobPolicy } from './policy.js';
import type { Session } from './session.js';

export interface RunReport {
  readonly runs: readonly JobResult[];
  /** The worst status over all jobs. */
  readonly status: RunStatus;
}

/**
 * Backs up the given jobs (all by default), at most `config.concurrency` at once. One job failing never stops the
 * others. With `policy.enforce: error`, a job whose destinations cannot meet the 3-2-1 policy is refused.
 */
export async function runBackups(
  session: Session,
  jobNames?: readonly string[],
  options: { events?: BackupEvents; signal?: AbortSignal } = {},
): Promise<RunReport> {
  const names = jobNames && jobNames.length > 0 ? [...jobNames] : [...session.config.jobs.keys()];
  for (const name of names) session.job(name);
  const runId = session.catalog.startRun(`backup ${names.join(' ')}`);
  const results: JobResult[] = new Array(names.length);
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const index = next++;
      const name = names[index] as string;
      results[index] = await runOne(session, name, runId, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(session.config.concurrency, names.length) }, worker));
  const status = worstStatus(results.map((r) => r.status));
  session.catalog.finishRun(runId, status);
  return { runs: results, status };
}

async function runOne(
  session: Session,
  name: string,
  runId: number,
  options: { events?: BackupEvents; signal?: AbortSignal },
): Promise<JobResult> {
  const policy = jobPolicy(session.config, name);
  if (!policy.met) {
    if (session.config.policy.enforce === 'error') {
      const now = session.now().toISOString();
      const result: JobResult = {
        job: name,
        backupId: '',
        status: 'failed',
        startedAt: now,
        finishedAt: now,
        copies: [],
        error: `refused by policy.enforce: error: the job's destinations give ${policy.shortfall}`,
        policy: evaluatePolicy([], session.config.policy),
      };
      options.events?.onJobDone?.(result);
      return result;
    }
    session.logger.warn(`job ${name} is below the 3-2-1 policy: ${policy.shortfall}`);
  }
  try {
    return await backupJob(session, name, { runId, ...options });
  } catch (error) {
    const now = session.now().toISOString();
    return {
      job: name,
      backupId: '',
      status: 'failed',
      startedAt: now,
      finishedAt: now,
      copies: [],
      error: session.redact(describeError(error)),
      policy: evaluatePolicy([], session.config.policy),
    };
  }
}

export function worstStatus(statuses: readonly RunStatus[]): RunStatus {
  if (statuses.includes('failed')) return 'failed';
  if (statuses.includes('degraded')) return 'degraded';
  return 'ok';
}
