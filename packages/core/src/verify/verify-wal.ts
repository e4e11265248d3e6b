import type { WalCopyRow, WalSegmentRow } from '../catalog/catalog.js';
import { checkStoredCopy, type MismatchKind } from '../copies/copy-check.js';
import { jobContinuity, jobWal } from '../copies/job-wal.js';
import type { WalContinuity } from '../copies/wal-chain.js';
import type { Session } from '../session/session.js';
import { describeError } from '../util/errors.js';

export interface WalCopyVerification {
  readonly name: string;
  readonly destination: string;
  readonly status: 'ok' | MismatchKind | 'error';
  readonly error?: string;
}

export interface WalVerification {
  readonly job: string;
  readonly level: 'stat' | 'deep';
  /** Copies checked, and those that did not pass. */
  readonly checked: number;
  readonly failed: readonly WalCopyVerification[];
  /** Continuity after the copies were checked (a copy found bad no longer counts). */
  readonly continuity: WalContinuity;
  readonly ok: boolean;
}

/** How many WAL copies are read at once: WAL files are many and small, one at a time is slow, all at once floods. */
const CONCURRENCY = 4;

/**
 * Checks every verified copy of a job's stored WAL files (size and stored SHA-256 by stat, every byte with `deep`)
 * and records what it finds: a copy that does not match is marked failed (it then counts for nothing, and the
 * archiver's catch-up rewrites it from a good copy). Then judges the job's continuity. Undefined for a job with no
 * base backup.
 */
export async function verifyWal(
  session: Session,
  job: string,
  options: { deep: boolean; signal?: AbortSignal },
): Promise<WalVerification | undefined> {
  const destinations = session.job(job).destinations;
  if ((await jobContinuity(session.catalog, job, destinations)) === undefined) return undefined;
  const { files, copies } = await jobWal(session.catalog, job);
  const byName = new Map(files.map((f) => [f.name, f]));
  const toCheck = copies.filter((c) => c.status === 'verified' && byName.has(c.name));
  const results = await mapBounded(toCheck, CONCURRENCY, (copy) =>
    checkWalCopy(session, job, byName.get(copy.name) as WalSegmentRow, copy, options),
  );
  const continuity = (await jobContinuity(session.catalog, job, destinations)) as WalContinuity;
  const failed = results.filter((r) => r.status !== 'ok');
  return {
    job,
    level: options.deep ? 'deep' : 'stat',
    checked: results.length,
    failed,
    continuity,
    ok: failed.length === 0 && continuity.ok,
  };
}

async function checkWalCopy(
  session: Session,
  job: string,
  file: WalSegmentRow,
  copy: WalCopyRow,
  options: { deep: boolean; signal?: AbortSignal },
): Promise<WalCopyVerification> {
  const base = { name: file.name, destination: copy.destination };
  let result: WalCopyVerification;
  try {
    const destination = await session.destination(copy.destination);
    const check = await checkStoredCopy(
      destination,
      file.key,
      { size: file.size, sha256: file.sha256 },
      { deep: options.deep, ...(options.signal === undefined ? {} : { signal: options.signal }) },
    );
    result = check.ok ? { ...base, status: 'ok' } : { ...base, status: check.kind, error: check.message };
  } catch (error) {
    options.signal?.throwIfAborted();
    return { ...base, status: 'error', error: session.redact(describeError(error)) };
  }
  if (result.status === 'no-checksum') return result;
  await session.catalog.recordWalCopy({
    job,
    ...base,
    status: result.status === 'ok' ? 'verified' : 'failed',
    ...(result.error === undefined ? {} : { error: result.error }),
  });
  if (result.status !== 'ok')
    session.logger.error(`WAL ${file.name} of job ${job} on ${copy.destination} is ${result.status}`);
  return result;
}

/** `fn` over `items`, at most `limit` at a time, results in the items' order. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
