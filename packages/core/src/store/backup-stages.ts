// The stages of a backup's stream, and the proof that reads what they give the fan-out.
import type { Transform } from 'node:stream';
import type { Encryption } from '@tricopy/age';
import { createCompressor } from '../pipeline/compression.js';
import type { Branch, FanOut } from '../pipeline/fan-out.js';
import { HashCounter } from '../pipeline/hash-counter.js';
import { ownFailureOf } from '../pipeline/program-stream.js';
import { type Decoded, decodeBranch, type Measured, type ProofStages } from '../pipeline/proof.js';
import type { StageSeam } from '../session/session.js';
import { describeError } from '../util/errors.js';
import { type Settled, within } from '../util/settled.js';
import type { Artifact } from './backup-artifact.js';
import type { RunContext } from './backup-run.js';

/** The fan-out branch the in-stream proof reads, and the one the spool file is written from. */
export const PROOF = '\0proof';
export const SPOOL = '\0spool';

export interface Stages {
  /** What goes between the dump and the fan-out, in order. */
  readonly streams: Transform[];
  /** Counts and hashes the bytes as the source produced them. */
  readonly raw: HashCounter;
  /** Counts and hashes what enters the encryptor (an encrypted artifact only). */
  readonly plaintext?: HashCounter;
  readonly proof: ProofStages;
  /** The compressing program's own failure, if it had one (asked when the proof stopped the backup first). */
  readonly compressorFailure: () => Promise<Error | undefined>;
}

/**
 * dump → hash → compress → (hash → encrypt) → hash → fan-out, with the session's test seam after each stage.
 * Synchronous: nothing may come between taking the dump's stream and reading it (a child's unread output is lost
 * once it exits).
 */
export function stagesOf(run: RunContext, artifact: Artifact, encryption: Encryption | undefined): Stages {
  const tap = (stage: StageSeam) => run.session.tapStage(stage, run.job.name) ?? [];
  const raw = new HashCounter();
  const compression = artifact.compressedBySource ? 'none' : artifact.compression;
  const compressor = createCompressor(compression, run.job.compressionLevel);
  const plaintext = encryption === undefined ? undefined : new HashCounter();
  const streams = [
    raw,
    tap('source'),
    ...(compressor === undefined ? [] : [compressor, tap('compressor')]),
    ...(encryption === undefined ? [] : [plaintext as HashCounter, encryption.stream, tap('encryptor')]),
    run.hasher,
  ].flat() as Transform[];
  const proof: ProofStages = {
    source: `the ${run.job.source.plugin.type} source`,
    compression,
    ...(encryption === undefined ? {} : { verifier: encryption.verifier }),
  };
  return {
    streams,
    raw,
    ...(plaintext === undefined ? {} : { plaintext }),
    proof,
    compressorFailure: () =>
      within(ownFailureOf(compressor) ?? Promise.resolve(undefined), EXIT_WAIT_MS, undefined),
  };
}

/** How long a stopped compressing program is waited for, to learn whether it had failed on its own. */
const EXIT_WAIT_MS = 5000;

/** Why the proof failed while the fan-out was still running: it stopped the backup, so it is the story. */
class ProofStopped extends Error {}

/** The proof's branch, decoded; a branch that does not decode stops the whole fan-out with why. */
export async function proveBranch(fanOut: FanOut, stages: ProofStages): Promise<Decoded> {
  const branch = fanOut.branches.find((b) => b.name === PROOF) as Branch;
  try {
    return await decodeBranch(branch.stream, stages);
  } catch (error) {
    if (fanOut.destroyed || !branch.alive) throw error;
    fanOut.destroy(new Error(`the backup is not proven: ${describeError(error)}`));
    throw new ProofStopped(describeError(error), { cause: error });
  }
}

export function proofStopped(proof: Settled<Decoded>): proof is { ok: false; error: ProofStopped } {
  return !proof.ok && proof.error instanceof ProofStopped;
}

export function measured(counter: HashCounter): Measured {
  return { size: counter.bytes, sha256: counter.sha256 };
}
