import { type Destination, isRetryable, type PutResult } from '@tricopy/contract';
import { describeError } from '../util/errors.js';

interface CopyBase {
  readonly destination: string;
  /** Writes tried so far (the first one from the dump, then retries). */
  readonly attempts: number;
}

/** A destination that was opened and has not been written yet. */
export interface OpenCopy extends CopyBase {
  readonly state: 'open';
  readonly instance: Destination;
}

/** Stored (put resolved), not yet checked. */
export interface WrittenCopy extends CopyBase {
  readonly state: 'written';
  readonly instance: Destination;
  readonly put: PutResult;
}

/** Checked against what was produced. */
export interface VerifiedCopy extends CopyBase {
  readonly state: 'verified';
  readonly size: number;
  readonly sha256: string;
  readonly location: string;
}

/** Not kept. Nothing of it is left under the artifact's key. */
export interface FailedCopy extends CopyBase {
  readonly state: 'failed';
  readonly error: string;
  /** Whether writing it again may succeed (see isRetryable). */
  readonly retryable: boolean;
  readonly location?: string;
}

/** One destination's copy of one backup, as the steps of a run move it along. */
export type Copy = OpenCopy | WrittenCopy | VerifiedCopy | FailedCopy;

export function failedCopy(
  copy: CopyBase & { readonly location?: string },
  error: unknown,
  extra: { attempts?: number } = {},
): FailedCopy {
  return {
    state: 'failed',
    destination: copy.destination,
    attempts: extra.attempts ?? copy.attempts,
    error: typeof error === 'string' ? error : describeError(error),
    retryable: typeof error === 'string' ? true : isRetryable(error),
    ...(copy.location === undefined ? {} : { location: copy.location }),
  };
}

export function isVerified(copy: Copy): copy is VerifiedCopy {
  return copy.state === 'verified';
}

export function summarizeFailures(copies: readonly Copy[]): string {
  return copies
    .filter((c): c is FailedCopy => c.state === 'failed')
    .map((c) => `${c.destination}: ${c.error}`)
    .join('; ');
}
