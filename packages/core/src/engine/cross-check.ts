import type { Destination, PutResult } from '@tricopy/contract';

export interface Produced {
  readonly size: number;
  readonly sha256: string;
}

export type CheckOutcome =
  | { readonly ok: true; readonly size: number; readonly sha256: string; readonly how: string }
  | {
      readonly ok: false;
      readonly kind: 'missing' | 'size-mismatch' | 'checksum-mismatch';
      readonly message: string;
      readonly actualSize?: number;
      readonly actualSha256?: string;
    };

/**
 * Compares what a destination says it stored with what the pipeline produced: the size `put` observed, the sha256 it
 * read back (if it can), and an independent `stat` (with the stored sha256, if the store keeps one).
 */
export async function crossCheck(
  destination: Destination,
  key: string,
  put: PutResult,
  produced: Produced,
): Promise<CheckOutcome> {
  const checks: string[] = ['size'];
  if (put.size !== produced.size) {
    return mismatch(
      'size-mismatch',
      `stored ${put.size} bytes, produced ${produced.size}`,
      put.size,
      put.sha256,
    );
  }
  if (put.sha256 !== undefined) {
    checks.push('read-back sha256');
    if (put.sha256 !== produced.sha256) {
      return mismatch(
        'checksum-mismatch',
        `stored sha256 ${put.sha256}, produced ${produced.sha256}`,
        put.size,
        put.sha256,
      );
    }
  }
  const stat = await destination.stat(key);
  if (stat === undefined)
    return { ok: false, kind: 'missing', message: 'the copy is not there after writing it' };
  checks.push('stat');
  if (stat.size !== produced.size) {
    return mismatch(
      'size-mismatch',
      `stat shows ${stat.size} bytes, produced ${produced.size}`,
      stat.size,
      stat.sha256,
    );
  }
  if (stat.sha256 !== undefined) {
    checks.push('stored sha256');
    if (stat.sha256 !== produced.sha256) {
      return mismatch(
        'checksum-mismatch',
        `store recorded sha256 ${stat.sha256}, produced ${produced.sha256}`,
        stat.size,
        stat.sha256,
      );
    }
  }
  return {
    ok: true,
    size: stat.size,
    sha256: put.sha256 ?? stat.sha256 ?? produced.sha256,
    how: checks.join(', '),
  };
}

function mismatch(
  kind: 'size-mismatch' | 'checksum-mismatch',
  message: string,
  actualSize?: number,
  actualSha256?: string,
): CheckOutcome {
  return {
    ok: false,
    kind,
    message: `${kind}: ${message}`,
    ...(actualSize === undefined ? {} : { actualSize }),
    ...(actualSha256 === undefined ? {} : { actualSha256 }),
  };
}
