import { rm } from 'node:fs/promises';
import type { Dump, Source } from '@tricopy/contract';
import { backupStatusOf } from '../copies/backup-status.js';
import type { PolicyStatus } from '../copies/policy.js';
import { backupPrefix } from '../manifest/manifest.js';
import { sealManifest } from '../manifest/manifest-seal.js';
import {
  COMPRESSION_SUFFIX,
  type CompressionKind,
  chooseCompression,
  compressionOffer,
} from '../pipeline/compression.js';
import type { Session } from '../session/session.js';
import { describeError } from '../util/errors.js';
import { crossCheckCopies, discardCopies, retryFailedCopies } from './backup-checks.js';
import { type Copy, failedCopy, isVerified, summarizeFailures } from './backup-copy.js';
import { buildManifest, manifestCopies, writeManifests } from './backup-manifest.js';
import { openRun, type RunContext, type RunOutcome, recordRun } from './backup-run.js';
import { type Prepared, prepareStream, spoolPathOf } from './backup-stages.js';
import { type Artifact, settle, streamDump, untilAborted } from './backup-stream.js';

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
  /** Whether the artifact is age-encrypted, and to which recipients. */
  readonly encrypted?: boolean;
  readonly recipients?: readonly string[];
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
      { source: source.value, dump: dump.value, opened, artifact },
      prepared.value,
    );
  } finally {
    await removeSpool(run);
  }
}

interface Dumped {
  readonly source: Source;
  readonly dump: Dump;
  readonly opened: readonly Copy[];
  readonly artifact: Artifact;
}

async function storeArtifact(
  run: RunContext,
  { source, dump, opened, artifact }: Dumped,
  prepared: Prepared,
): Promise<RunOutcome> {
  const streamed = await streamDump(run, dump, opened, artifact, prepared);
  if (streamed.kind === 'failed') {
    run.session.logger.error(
      `job ${run.job.name}: ${run.session.redact(streamed.reason)}`,
      streamed.details ? { details: run.session.redact(streamed.details) } : undefined,
    );
    const copies = await discardCopies(run, streamed.copies, artifact.key, 'not kept: the dump failed');
    return { status: 'failed', copies, error: streamed.reason, artifact };
  }
  const { produced } = streamed;
  if (streamed.raw.size === 0) {
    const copies = await discardCopies(
      run,
      streamed.copies,
      artifact.key,
      'not kept: the dump produced no bytes',
    );
    return { status: 'failed', copies, error: 'the dump produced no bytes', artifact };
  }
  const checked = await crossCheckCopies(run, streamed.copies, artifact.key, produced);
  const retried = await retryFailedCopies(run, checked, artifact.key, produced, streamed.spoolPath);
  const facts = { source, dump, info: streamed.info, artifact, produced, decoded: streamed.decoded };
  const manifest = await sealManifest(
    buildManifest(run, facts, retried),
    artifact.recipients,
    streamed.plaintext,
  );
  const copies = await writeManifests(run, retried, manifest);

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

/** The open-destinations step: every destination of the job opened at once; one that cannot be is a failed copy. */
function openDestinations(run: RunContext, open: boolean): Promise<Copy[]> {
  return Promise.all(
    run.job.destinations.map(async (destination): Promise<Copy> => {
      if (!open)
        return failedCopy({ destination, attempts: 0 }, 'not written: the source could not be opened');
      try {
        const instance = await run.session.destination(destination);
        return { state: 'open', destination, instance, attempts: 0 };
      } catch (error) {
        return failedCopy({ destination, attempts: 0 }, error);
      }
    }),
  );
}

function artifactOf(run: RunContext, dump: Dump): Artifact {
  const bySource = dump.compression !== undefined;
  const compression = dump.compression ?? chooseCompression(run.job.compression, dump.compressed === true);
  const recipients = run.job.encryption?.recipients;
  const name = `${run.job.name}.${dump.extension}${COMPRESSION_SUFFIX[compression]}${recipients ? '.age' : ''}`;
  return {
    key: `${backupPrefix(run.job.name, run.backupId)}${name}`,
    compression,
    compressedBySource: bySource,
    ...(recipients === undefined ? {} : { recipients }),
  };
}

async function removeSpool(run: RunContext): Promise<void> {
  if (run.job.spool) await rm(await spoolPathOf(run), { force: true }).catch(() => undefined);
}
