import type { BackupRow } from '../catalog/catalog.js';
import { notifyPayload } from '../notify/notify.js';
import { type AssertionResult, assertionFailures } from '../readback/assertions-run.js';
import { restoreBackup } from '../restore/restore.js';
import type { Session } from '../session/session.js';
import { describeError, UsageError } from '../util/errors.js';
import { redactStrings } from '../util/redactor.js';

/** One restore drill: the newest good backup restored into the job's drill target, post-restore SQL, assertions. */
export interface DrillResult {
  readonly job: string;
  readonly backupId: string;
  /** The copy restored from (null when the drill failed before one was read). */
  readonly destination: string | null;
  /** The target database or file. */
  readonly target: string;
  readonly status: 'ok' | 'failed';
  readonly durationMs: number;
  readonly assertions: readonly AssertionResult[];
  readonly error?: string;
}

/**
 * Runs the job's drill (`jobs.NAME.drill`) and records it in the catalog as a verification of level 'drill'. The
 * target is replaced (created if missing) but never the job's own database or file. A failed drill notifies the
 * job's targets that want failures. Throws a UsageError when the job has no drill or no good backup.
 */
export async function drillJob(
  session: Session,
  jobName: string,
  options: { signal?: AbortSignal } = {},
): Promise<DrillResult> {
  const job = session.job(jobName);
  if (job.drill === undefined)
    throw new UsageError(`job ${jobName} has no drill: add jobs.${jobName}.drill with a target`);
  // notOwn came with query: a plugin without query may not know it, and would replace the job's own database.
  if ((await session.source(jobName)).query === undefined)
    throw new UsageError(
      `job ${jobName}: its ${job.source.type} source plugin cannot drill (it predates drills)`,
    );
  const backup = await newestGoodBackup(session, jobName);
  const { drill } = job;
  const target = 'database' in drill.target ? drill.target.database : drill.target.path;
  const started = Date.now();
  let destination: string | null = null;
  let assertions: readonly AssertionResult[] = [];
  let error: string | undefined;
  try {
    const restored = await restoreBackup(
      session,
      backup,
      { ...drill.target, force: true, createDatabase: true, notOwn: true },
      {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        postRestoreSql: drill.postRestoreSql,
        assertions: job.assertions ?? [],
      },
    );
    destination = restored.destination;
    assertions = restored.assertions ?? [];
    error = assertionFailures(assertions);
  } catch (failure) {
    options.signal?.throwIfAborted(); // an interrupted drill says nothing: nothing is recorded
    error = session.redact(describeError(failure));
  }
  const result: DrillResult = {
    job: jobName,
    backupId: backup.id,
    destination,
    target,
    status: error === undefined ? 'ok' : 'failed',
    durationMs: Date.now() - started,
    assertions,
    ...(error === undefined ? {} : { error }),
  };
  await recordDrill(session, backup, result);
  if (result.status !== 'ok') await notifyDrillFailed(session, result);
  return result;
}

async function newestGoodBackup(session: Session, job: string): Promise<BackupRow> {
  const backups = await session.catalog.listBackups({ job, statuses: ['ok', 'degraded'] });
  const newest = backups.find((b) => b.prunedAt === null && b.finishedAt !== null);
  if (newest === undefined) throw new UsageError(`job ${job} has no good backup to drill`);
  return newest;
}

async function recordDrill(session: Session, backup: BackupRow, result: DrillResult): Promise<void> {
  const detail = {
    target: result.target,
    durationMs: result.durationMs,
    assertions: result.assertions.map(({ name, sql, value, ok }) => ({ name, sql, value, ok })),
    error: result.error ?? null,
  };
  await session.catalog.recordVerification({
    backupId: backup.id,
    destination: result.destination,
    level: 'drill',
    status: result.status,
    expectedSize: backup.size,
    expectedSha256: backup.sha256,
    actualSize: null,
    actualSha256: null,
    detail: JSON.stringify(detail),
  });
}

async function notifyDrillFailed(session: Session, result: DrillResult): Promise<void> {
  const redact = (text: string) => session.redact(text);
  const payload = {
    text: `❌ tricopy job ${result.job}: DRILL FAILED into ${result.target} from backup ${result.backupId}: ${result.error}`,
    event: 'drill',
    ...result,
  };
  await notifyPayload(
    session.job(result.job).notify,
    'failure',
    `drill of ${result.job}`,
    redactStrings(payload, redact) as Record<string, unknown>,
    { logger: session.logger, redact },
  );
}
