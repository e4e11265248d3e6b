import { type CopyCheck, checkStoredCopy, type Expected } from '../copies/copy-check.js';
import { recordCopyCheck } from '../copy-write/copy-write-context.js';
import { describeError } from '../util/errors.js';
import { type Copy, failedCopy, type WrittenCopy } from './backup-copy.js';
import type { RunContext } from './backup-run.js';

/** Keeps the result of one copy's cross-check (the backup's: a line of the catalog's verification log). */
export type RecordCheck = (destination: string, check: CopyCheck) => Promise<void>;

/** The cross-check step: each written copy is compared with what was produced; a mismatching one is deleted. */
export function crossCheckCopies(
  run: RunContext,
  copies: readonly Copy[],
  key: string,
  produced: Expected,
  record: RecordCheck = (destination, check) =>
    recordCopyCheck(run.session, run.backupId, { destination, expected: produced, check, how: '' }),
): Promise<Copy[]> {
  return Promise.all(
    copies.map((copy) => (copy.state === 'written' ? crossCheck(run, copy, key, produced, record) : copy)),
  );
}

async function crossCheck(
  run: RunContext,
  copy: WrittenCopy,
  key: string,
  produced: Expected,
  record: RecordCheck,
): Promise<Copy> {
  let check: CopyCheck;
  try {
    check = await checkStoredCopy(copy.instance, key, produced, { put: copy.put });
  } catch (error) {
    await copy.instance.delete(key).catch(() => undefined);
    return failedCopy(copy, `cross-check failed: ${describeError(error)}`);
  }
  await record(copy.destination, check);
  if (check.ok) {
    return {
      state: 'verified',
      destination: copy.destination,
      attempts: copy.attempts,
      size: check.size,
      sha256: check.sha256,
      location: copy.put.location,
    };
  }
  run.session.logger.error(
    `job ${run.job.name}: copy on ${copy.destination} does not match what was produced: ${check.message}`,
  );
  await copy.instance.delete(key).catch(() => undefined);
  const failed = failedCopy({ ...copy, location: copy.put.location }, check.message);
  // A destination that breaks its declared capability will break it again: not worth a retry.
  return check.kind === 'no-checksum' ? { ...failed, retryable: false } : failed;
}
