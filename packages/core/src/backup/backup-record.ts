import { backupPolicy } from '../copies/policy.js';
import type { CopyResult, JobResult } from '../results/backup-result.js';
import type { Copy } from '../store/backup-copy.js';
import type { RunContext, RunOutcome } from '../store/backup-run.js';

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
