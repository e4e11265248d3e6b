import { addAbortSignal, Readable } from 'node:stream';
import type { Destination, DestinationCapabilities, ObjectInfo, PutResult } from '@tricopy/contract';
import { type Digest, hashStream, TooLongError } from '../pipeline/hash-counter.js';

/** What a good copy must be: the artifact's size and SHA-256. */
export type Expected = Digest;

export type MismatchKind = 'missing' | 'size-mismatch' | 'checksum-mismatch' | 'no-checksum';

export type CopyCheck =
  | {
      readonly ok: true;
      readonly size: number;
      /** The SHA-256 observed (`hashed`), or the expected one when the evidence has none. */
      readonly sha256: string;
      readonly hashed: boolean;
      readonly how: string;
    }
  | {
      readonly ok: false;
      readonly kind: MismatchKind;
      readonly message: string;
      readonly actualSize?: number;
      readonly actualSha256?: string;
    };

/** Everything known about one stored copy; each piece is optional and checked when present. */
export interface Evidence {
  readonly capabilities?: DestinationCapabilities | undefined;
  /** What `put` observed while storing it. */
  readonly put?: PutResult | undefined;
  /** What `stat` says now (`null`: stat found nothing). */
  readonly stat?: ObjectInfo | null | undefined;
  /** Size and SHA-256 of the bytes as read back in full. */
  readonly read?: Expected | undefined;
}

/**
 * The one answer to "does this stored copy match?": every piece of evidence must agree with `expected`, and a
 * destination that declares it re-reads (`readBackSha256`) or stores (`storedSha256`) a SHA-256 must give one: a
 * missing hash fails the copy instead of silently weakening the check.
 */
export function judgeCopy(expected: Expected, evidence: Evidence): CopyCheck {
  const checks: string[] = [];
  const { put, stat, read, capabilities } = evidence;
  if (put !== undefined) {
    checks.push('size');
    const bad = compare(expected, put.size, put.sha256, 'stored');
    if (bad !== undefined) return bad;
    if (put.sha256 !== undefined) checks.push('read-back sha256');
    else if (capabilities?.readBackSha256 === true)
      return noChecksum('declares readBackSha256 but its put returned no sha256');
  }
  if (stat === null) return { ok: false, kind: 'missing', message: 'missing: the copy is not there' };
  if (stat !== undefined) {
    checks.push('stat');
    const bad = compare(expected, stat.size, stat.sha256, 'stat shows');
    if (bad !== undefined) return bad;
    if (stat.sha256 !== undefined) checks.push('stored sha256');
    else if (capabilities?.storedSha256 === true && put?.sha256 === undefined)
      return noChecksum('declares storedSha256 but its stat returned no sha256');
  }
  if (read !== undefined) {
    checks.push('full read sha256');
    const bad = compare(expected, read.size, read.sha256, 'read');
    if (bad !== undefined) return bad;
  }
  const observed = read?.sha256 ?? put?.sha256 ?? stat?.sha256;
  return {
    ok: true,
    size: expected.size,
    sha256: observed ?? expected.sha256,
    hashed: observed !== undefined,
    how: checks.join(', '),
  };
}

/** Checks a stored copy through `stat` (and, when `deep`, by reading all of it), plus what `put` observed, if given. */
export async function checkStoredCopy(
  destination: Destination,
  key: string,
  expected: Expected,
  options: { put?: PutResult; deep?: boolean; signal?: AbortSignal } = {},
): Promise<CopyCheck> {
  const stat = (await destination.stat(key)) ?? null;
  const first = judgeCopy(expected, { capabilities: destination.capabilities, put: options.put, stat });
  if (!first.ok || options.deep !== true) return first;
  options.signal?.throwIfAborted();
  const body = await destination.get(key);
  // An abort destroys the read (and so frees the file or connection), rejecting the hash.
  if (options.signal !== undefined && body instanceof Readable) addAbortSignal(options.signal, body);
  const read = await hashStream(body, { bytes: expected.size, what: 'the copy' }).catch((error: unknown) => {
    if (error instanceof TooLongError) return undefined;
    throw error;
  });
  if (read === undefined) {
    // How much more it holds is not known: the read was stopped.
    const message = `size-mismatch: read more than ${expected.size} bytes (not read further)`;
    return { ok: false, kind: 'size-mismatch', message };
  }
  return judgeCopy(expected, { capabilities: destination.capabilities, put: options.put, stat, read });
}

function compare(
  expected: Expected,
  size: number,
  sha256: string | undefined,
  what: string,
): CopyCheck | undefined {
  if (size !== expected.size) {
    return mismatch('size-mismatch', `${what} ${size} bytes, expected ${expected.size}`, size, sha256);
  }
  if (sha256 !== undefined && sha256 !== expected.sha256) {
    return mismatch(
      'checksum-mismatch',
      `${what} sha256 ${sha256}, expected ${expected.sha256}`,
      size,
      sha256,
    );
  }
  return undefined;
}

function noChecksum(why: string): CopyCheck {
  return { ok: false, kind: 'no-checksum', message: `no-checksum: the destination ${why}` };
}

function mismatch(kind: MismatchKind, message: string, actualSize: number, actualSha256?: string): CopyCheck {
  return {
    ok: false,
    kind,
    message: `${kind}: ${message}`,
    actualSize,
    ...(actualSha256 === undefined ? {} : { actualSha256 }),
  };
}
