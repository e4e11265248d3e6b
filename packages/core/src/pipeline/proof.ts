import type { Duplex, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type CompressionKind, createVerifyingDecompressor } from './compression.js';
import { HashCounter } from './hash-counter.js';

export interface Measured {
  readonly size: number;
  readonly sha256: string;
}

/** The stages between the source and the fan-out, as the proof decodes them back. */
export interface ProofStages {
  /** Who produced the raw bytes, for messages: `the sqlite source`. */
  readonly source: string;
  /** The engine's own compressor ('none' when it compresses nothing). */
  readonly compression: CompressionKind;
  /** A decryptor of exactly what the encryptor writes, with the encryptor's own file key. */
  readonly verifier?: () => Transform;
}

export interface Decoded {
  /** What the decoding gave back: compared with what the source produced. */
  readonly decoded: Measured;
  /** The decrypted bytes (an encrypted artifact only): compared with what entered the encryptor. */
  readonly decrypted?: Measured;
}

/**
 * Decodes what reaches the fan-out (decrypt, then decompress) and measures it, reading one fan-out branch as a
 * destination would: the branch's back-pressure keeps memory flat. Rejects with a message naming the stage whose
 * output does not decode.
 */
export async function decodeBranch(branch: Readable, stages: ProofStages): Promise<Decoded> {
  const decryptor = stages.verifier?.();
  const decrypted = decryptor === undefined ? undefined : new HashCounter();
  const decompressor = createVerifyingDecompressor(stages.compression);
  const decoded = new HashCounter();
  let failedStage: string | undefined;
  const blame = (stream: Duplex | undefined, name: string) =>
    stream?.once('error', () => {
      failedStage ??= name;
    });
  blame(decryptor, `the age stage's output does not decrypt`);
  blame(decompressor, `the ${stages.compression} stage's output does not decompress`);
  const chain = [decryptor, decrypted, decompressor, decoded].filter((s) => s !== undefined);
  // Only the count and hash of the decoded bytes matter: they are dropped as they come.
  decoded.resume();
  try {
    await pipeline([branch, ...chain]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(failedStage === undefined ? message : `${failedStage}: ${message}`, { cause: error });
  }
  return {
    decoded: measured(decoded),
    ...(decrypted === undefined ? {} : { decrypted: measured(decrypted) }),
  };
}

/**
 * Why the decoded stream is not what the source produced (or, encrypted, not what entered the encryptor), naming
 * the stage whose output is wrong; undefined when the proof holds.
 */
export function proofFailure(
  stages: ProofStages,
  raw: Measured,
  result: Decoded,
  enteredEncryptor: Measured | undefined,
): string | undefined {
  const compressor = stages.compression === 'none' ? undefined : stages.compression;
  if (result.decrypted !== undefined && enteredEncryptor !== undefined) {
    const what = compressor === undefined ? stages.source : `the ${compressor} stage`;
    const wrong = mismatch(result.decrypted, enteredEncryptor, `bytes ${what} gave it`);
    if (wrong !== undefined) return `the age stage's output decrypts to ${wrong}`;
  }
  const last = compressor ?? (stages.verifier === undefined ? undefined : 'age');
  const wrong = mismatch(result.decoded, raw, `bytes ${stages.source} produced`);
  if (wrong === undefined) return undefined;
  return last === undefined
    ? `the stream that reached the destinations holds ${wrong}`
    : `the ${last} stage's output decodes to ${wrong}`;
}

function mismatch(got: Measured, want: Measured, what: string): string | undefined {
  if (got.size !== want.size) return `${got.size} of the ${want.size} ${what}`;
  if (got.sha256 !== want.sha256) return `${got.size} bytes that differ from the ${want.size} ${what}`;
  return undefined;
}

function measured(counter: HashCounter): Measured {
  return { size: counter.bytes, sha256: counter.sha256 };
}
