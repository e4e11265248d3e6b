import { formatBytes } from '../util/duration.js';
import type { CaughtUp } from './wal-catch-up.js';
import type { WalStoreResult } from './wal-store.js';

/** The one line said of a stored WAL file (or of one that could not be stored), for people. */
export function storedLine(job: string, result: WalStoreResult): string {
  const verified = result.copies.filter((copy) => copy.state === 'verified').map((copy) => copy.destination);
  const failed = result.copies.flatMap((copy) =>
    copy.state === 'failed' ? [`${copy.destination}: ${copy.error}`] : [],
  );
  const why = failed.length === 0 ? '' : `; failed ${failed.join('; ')}`;
  if (result.stored === undefined)
    return `job ${job}: WAL ${result.name} not stored: ${result.error ?? 'no copy verified'}`;
  const sizes = `${formatBytes(result.stored.rawSize)} → ${formatBytes(result.stored.size)}`;
  return `job ${job}: WAL ${result.name} stored on ${verified.join(', ')} (${sizes})${why}`;
}

/** The one line said of a copy a destination lacked, written again or not. */
export function caughtUpLine(job: string, result: CaughtUp): string {
  return result.ok
    ? `job ${job}: WAL ${result.name} copied to ${result.destination}, which lacked it`
    : `job ${job}: WAL ${result.name} still missing on ${result.destination}: ${result.error ?? 'failed'}`;
}
