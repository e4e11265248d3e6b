import { rm } from 'node:fs/promises';
import type { Dump, Source } from '@tricopy/contract';
import { backupStatusOf } from '../copies/backup-status.js';
import { copyWriteContext } from '../copy-write/copy-write-context.js';
import type { RecordedAssertion } from '../manifest/manifest.js';
import { sealManifest } from '../manifest/manifest-seal.js';
import { compressionOffer } from '../pipeline/compression.js';
import type { BackupEvents, JobResult } from '../results/backup-result.js';
import type { Session } from '../session/session.js';
import { type Artifact, artifactOf } from '../store/backup-artifact.js';
import { crossCheckCopies } from '../store/backup-checks.js';
import { type Copy, failedCopy, isVerified, summarizeFailures } from '../store/backup-copy.js';
import { discardCopies } from '../store/backup-discard.js';
import { type Prepared, prepareStream } from '../store/backup-prepare.js';
import { openRun, type RunContext, type RunOutcome } from '../store/backup-run.js';
import { type StreamResult, streamDump } from '../store/backup-stream.js';
import { openDestinations } from '../store/open-destinations.js';
import { describeError } from '../util/errors.js';
import { settle, untilAborted } from '../util/settled.js';
import { recordAssertionValues } from './backup-assertions.js';
import { buildManifest, manifestCopies, writeManifests } from './backup-manifest.js';
import { recordRun } from './backup-record.js';
import { retryFailedCopies } from './backup-retry.js';

/**
 * Runs one backup of one job: one read of the source, every copy written concurrently and cross-checked, failed
 * copies written again from a good one, a manifest beside each good copy, one catalog record. Never throws for a
 * fault of the source or of a destination: the result says what happened.
 */
export async function backupJob(
  session: Session,
  jobName: string,
  options: { events?: BackupEvents; runId?: number; signal?: AbortSignal } = {},
): Promise<JobResult> {
  const run = await openRun(session, jobName, options);
  const copies: Copy[] = run.job.destinations.map((destination) =>
    failedCopy({ destination, attempts: 0 }, 'not written'),
  );
  let outcome: RunOutcome;
  try {
    outcome = await runSteps(run);
  } catch (error) {
    // An unexpected error in a step: nothing is kept, and it is recorded like any failure.
    outcome = { status: 'failed', copies, error: describeError(error) };
  } finally {
    run.dispose();
  }
  return recordRun(run, outcome);
}

/** open destinations → stream → cross-check → retry → manifests; each step hands the copies to the next. */
async function runSteps(run: RunContext): Promise<RunOutcome> {
  const source = await settle(run.session.source(run.job.name));
  if (!source.ok) {
    return {
      status: 'failed',
      copies: await openDestinations(run, false),
      error: `source: ${describeError(source.error)}`,
    };
  }
  const opened = await openDestinations(run, true);
  if (opened.every((c) => c.state === 'failed')) {
    return { status: 'failed', copies: opened, error: 'no destination of this job could be opened' };
  }
  const recorded = await settle(recordAssertionValues(run, source.value));
  if (!recorded.ok) return { status: 'failed', copies: opened, error: describeError(recorded.error) };
  // Made before the dump starts: nothing may come between taking the dump's stream and reading it.
  const prepared = await settle(prepareStream(run));
  if (!prepared.ok) return { status: 'failed', copies: opened, error: describeError(prepared.error) };
  const offer = compressionOffer(run.job.compression, run.job.compressionLevel);
  const dumping = source.value.dump({
    signal: run.signal,
    ...(offer === undefined ? {} : { compression: offer }),
  });
  const dump = await settle(untilAborted(dumping, run.signal));
  if (!dump.ok) return { status: 'failed', copies: opened, error: describeError(dump.error) };

  const artifact = artifactOf(run, dump.value);
  try {
    return await storeArtifact(
      run,
      { source: source.value, dump: dump.value, opened, artifact, recorded: recorded.value },
      prepared.value,
    );
  } finally {
    await removeSpool(prepared.value);
  }
}

interface Dumped {
  readonly source: Source;
  readonly dump: Dump;
  readonly opened: readonly Copy[];
  readonly artifact: Artifact;
  readonly recorded: readonly RecordedAssertion[];
}

async function storeArtifact(
  run: RunContext,
  { source, dump, opened, artifact, recorded }: Dumped,
  prepared: Prepared,
): Promise<RunOutcome> {
  const streamed = await streamDump(run, dump, opened, artifact, prepared);
  if (streamed.kind === 'failed' || streamed.raw.size === 0) {
    const why = whyNotKept(run, streamed);
    const copies = await discardCopies(run, streamed.copies, artifact.key, `not kept: ${why.copies}`);
    return { status: 'failed', copies, error: why.backup, artifact };
  }
  const { produced } = streamed;
  const checked = await crossCheckCopies(run, streamed.copies, artifact.key, produced);
  // From here on copies are written from the artifact already made: retries and manifests.
  const writer = copyWriteContext(run.session, {
    job: run.job.name,
    backupId: run.backupId,
    key: artifact.key,
    expected: produced,
    signal: run.signal,
  });
  const retried = await retryFailedCopies(run, writer, checked, streamed.spoolPath);
  const facts = {
    source,
    dump,
    info: streamed.info,
    artifact,
    produced,
    decoded: streamed.decoded,
    recorded,
  };
  const manifest = await sealManifest(
    buildManifest(run, facts, retried),
    artifact.recipients,
    streamed.plaintext,
  );
  const copies = await writeManifests(writer, retried, manifest);

  const status =
    backupStatusOf(copies.map((c) => ({ status: isVerified(c) ? 'verified' : 'failed' }))) ?? 'failed';
  return {
    status,
    copies,
    artifact: { ...artifact, ...produced, format: dump.format },
    manifest: { ...manifest, copies: manifestCopies(copies, artifact.key) },
    ...(status === 'ok' ? {} : { error: summarizeFailures(copies) }),
  };
}

/** Why nothing of a stream is kept (it failed, or the dump produced no bytes): for the copies, and for the backup. */
function whyNotKept(run: RunContext, streamed: StreamResult): { copies: string; backup: string } {
  if (streamed.kind === 'failed') {
    run.session.logger.error(
      `job ${run.job.name}: ${run.session.redact(streamed.reason)}`,
      streamed.details ? { details: run.session.redact(streamed.details) } : undefined,
    );
    return { copies: 'the backup failed', backup: streamed.reason };
  }
  return { copies: 'the dump produced no bytes', backup: 'the dump produced no bytes' };
}

async function removeSpool({ spoolPath }: Prepared): Promise<void> {
  if (spoolPath !== undefined) await rm(spoolPath, { force: true }).catch(() => undefined);
}
