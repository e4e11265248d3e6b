import { pipeline } from 'node:stream/promises';
import { type Dump, type DumpInfo, openExclusive } from '@tricopy/contract';
import type { Expected } from '../copies/copy-check.js';
import { putWithin } from '../copy-write/put-within.js';
import { FanOut } from '../pipeline/fan-out.js';
import { proofFailure } from '../pipeline/proof.js';
import { describeError } from '../util/errors.js';
import { settle, untilAborted } from '../util/settled.js';
import type { Artifact } from './backup-artifact.js';
import { type Copy, failedCopy, summarizeFailures } from './backup-copy.js';
import type { Prepared } from './backup-prepare.js';
import type { RunContext } from './backup-run.js';
import { measured, PROOF, proofStopped, proveBranch, SPOOL, stagesOf } from './backup-stages.js';

export type StreamResult =
  | {
      readonly kind: 'streamed';
      readonly copies: readonly Copy[];
      readonly produced: Expected;
      /** The compressed bytes before encryption (an encrypted artifact only). */
      readonly plaintext?: Expected;
      /** The bytes the source produced: what the stored artifact decodes to, proven in the stream. */
      readonly raw: Expected;
      /** `raw`, when the engine did the compressing (a source that compresses itself is proven from there on). */
      readonly decoded?: Expected;
      readonly info: DumpInfo;
      /** Set when the spool file holds the whole artifact. */
      readonly spoolPath?: string;
    }
  | {
      readonly kind: 'failed';
      readonly copies: readonly Copy[];
      readonly reason: string;
      readonly details?: string;
    };

/**
 * The stream step: one read of the dump, compressed and hashed once, fanned out to every open copy (and the spool
 * file, if the job keeps one) and to the proof, which decodes what the copies are given back to the source's bytes.
 * Waits for the dump's completion. Every copy comes back written or failed.
 */
export async function streamDump(
  run: RunContext,
  dump: Dump,
  copies: readonly Copy[],
  artifact: Artifact,
  prepared: Prepared,
): Promise<StreamResult> {
  const { encryption, spoolPath } = prepared;
  const completion = settle(dump.completion);
  const open = copies.filter((c) => c.state === 'open');
  const fanOut = new FanOut(
    [...open.map((c) => c.destination), ...(spoolPath === undefined ? [] : [SPOOL]), PROOF],
    { stallMs: run.session.config.stallTimeoutMs },
  );
  let destinationsFailed = false;
  const stopIfNoneLeft = () => {
    if (fanOut.destroyed || fanOut.branches.some((b) => b.alive && b.name !== PROOF)) return;
    destinationsFailed = true;
    fanOut.destroy(new Error('every destination failed during the dump'));
  };
  const written = Promise.all(
    copies.map((copy) =>
      copy.state === 'open'
        ? writeBranch(run, fanOut, copy, { key: artifact.key, dump }, stopIfNoneLeft)
        : copy,
    ),
  );
  const spooled =
    spoolPath === undefined ? Promise.resolve(false) : writeSpool(run, fanOut, spoolPath, stopIfNoneLeft);
  const stages = stagesOf(run, artifact, encryption);
  const proven = settle(proveBranch(fanOut, stages.proof));

  const piped = await settle(pipeline([dump.stream, ...stages.streams, fanOut], { signal: run.signal }));
  const after = await written;
  const hasSpool = await spooled;
  // A source that ignores the signal (a hung dump tool) must not hold the run past its timeout.
  const dumped = await untilAborted(completion, run.signal).catch((error: unknown) => ({
    ok: false as const,
    error,
  }));
  const proof = await proven;

  if (!piped.ok && proofStopped(proof) && !run.signal.aborted) {
    // A program that failed on its own (and printed something before it did) is the cause, not what it printed.
    const compressor = await stages.compressorFailure();
    return {
      kind: 'failed',
      copies: after,
      reason:
        compressor === undefined
          ? `the backup is not proven: ${describeError(proof.error)}`
          : describeError(compressor),
    };
  }
  if (!piped.ok && destinationsFailed && !run.signal.aborted) {
    return {
      kind: 'failed',
      copies: after,
      reason: `every destination failed during the dump, so there is no copy to retry from (set spool: true on the job to keep one): ${summarizeFailures(after)}`,
    };
  }
  if (!piped.ok) {
    return {
      kind: 'failed',
      copies: after,
      reason: describeError(run.signal.aborted ? run.signal.reason : piped.error),
    };
  }
  if (!dumped.ok) {
    const details = (dumped.error as { details?: unknown } | null)?.details;
    return {
      kind: 'failed',
      copies: after,
      reason: describeError(dumped.error),
      ...(typeof details === 'string' ? { details } : {}),
    };
  }
  const raw = measured(stages.raw);
  const failure = proof.ok
    ? proofFailure(stages.proof, raw, proof.value, stages.plaintext && measured(stages.plaintext))
    : describeError(proof.error);
  if (failure !== undefined) {
    return { kind: 'failed', copies: after, reason: `the backup is not proven: ${failure}` };
  }
  return {
    kind: 'streamed',
    copies: after,
    produced: measured(run.hasher),
    ...(stages.plaintext === undefined ? {} : { plaintext: measured(stages.plaintext) }),
    ...(stages.proof.compression === artifact.compression ? { decoded: raw } : {}),
    raw,
    info: dumped.value,
    ...(hasSpool && spoolPath !== undefined ? { spoolPath } : {}),
  };
}

const CUT_SHORT = 'not kept: the backup failed before this copy was complete';

async function writeBranch(
  run: RunContext,
  fanOut: FanOut,
  copy: Extract<Copy, { state: 'open' }>,
  { key, dump }: { key: string; dump: Dump },
  stopIfNoneLeft: () => void,
): Promise<Copy> {
  const branch = fanOut.branches.find((b) => b.name === copy.destination);
  if (branch === undefined) return failedCopy(copy, 'not written');
  const sizeHint = await sizeHintOf(run, dump);
  const attempts = copy.attempts + 1;
  try {
    const bounds = { signal: run.signal, stallMs: run.session.config.stallTimeoutMs };
    const put = await putWithin(bounds, copy.instance, key, branch.stream, sizeHint);
    fanOut.detach(copy.destination);
    return { state: 'written', destination: copy.destination, instance: copy.instance, attempts, put };
  } catch (error) {
    // Stopped with the whole stream (a stage before the fan-out failed): the run's error says why.
    if (branch.cut) return failedCopy(copy, CUT_SHORT, { attempts });
    fanOut.detach(copy.destination, error instanceof Error ? error : new Error(String(error)));
    const failed = failedCopy(copy, error, { attempts });
    if (!run.signal.aborted) {
      run.session.logger.warn(
        `job ${run.job.name}: destination ${copy.destination} failed: ${run.session.redact(failed.error)}`,
      );
    }
    stopIfNoneLeft();
    return failed;
  }
}

/** The artifact's likely size: the run's own, else the job's last backup's, else what the source expects to dump. */
export async function sizeHintOf(
  run: RunContext,
  dump: Pick<Dump, 'sizeHint'>,
): Promise<{ sizeHint?: number }> {
  if (run.sizeHint !== undefined) return { sizeHint: run.sizeHint };
  // Only a hint: a catalog that cannot answer now (its database restarting) gives none, rather than a rejection
  // nobody awaits yet, which would end the process.
  const [previous] = await run.session.catalog
    .listBackups({ job: run.job.name, statuses: ['ok', 'degraded'] })
    .catch(() => []);
  if (previous?.size != null) return { sizeHint: previous.size };
  return usableHint(dump.sizeHint) ? { sizeHint: dump.sizeHint } : {};
}

/** A source's hint is data from a plugin: only a positive whole number of bytes is passed on. */
function usableHint(hint: unknown): hint is number {
  return typeof hint === 'number' && Number.isSafeInteger(hint) && hint > 0;
}

async function writeSpool(
  run: RunContext,
  fanOut: FanOut,
  path: string,
  stopIfNoneLeft: () => void,
): Promise<boolean> {
  const branch = fanOut.branches.find((b) => b.name === SPOOL);
  if (branch === undefined) return false;
  try {
    await pipeline(branch.stream, (await openExclusive(path)).createWriteStream());
    return true;
  } catch (error) {
    // Like a failed destination: detached, so the fan-out never waits on it; the copies go on without it.
    fanOut.detach(SPOOL);
    if (!run.signal.aborted && fanOut.aliveCount > 0) {
      run.session.logger.warn(
        `job ${run.job.name}: the spool file ${path} could not be written (${describeError(error)}); failed copies can only be retried from a completed copy`,
      );
    }
    stopIfNoneLeft();
    return false;
  }
}
