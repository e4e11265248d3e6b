import { type CopyCheck, checkStoredCopy, type Expected } from '../copies/copy-check.js';
import { rankByCost } from '../session/rank-by-cost.js';
import { describeError } from '../util/errors.js';
import { type Copy, failedCopy, isVerified, type WrittenCopy } from './backup-copy.js';
import type { RunContext } from './backup-run.js';
import { retryCopy } from './retry-copy.js';

/** The cross-check step: each written copy is compared with what was produced; a mismatching one is deleted. */
export function crossCheckCopies(
  run: RunContext,
  copies: readonly Copy[],
  key: string,
  produced: Expected,
): Promise<Copy[]> {
  return Promise.all(
    copies.map((copy) => (copy.state === 'written' ? crossCheck(run, copy, key, produced) : copy)),
  );
}

async function crossCheck(
  run: RunContext,
  copy: WrittenCopy,
  key: string,
  produced: Expected,
): Promise<Copy> {
  let check: CopyCheck;
  try {
    check = await checkStoredCopy(copy.instance, key, produced, { put: copy.put });
  } catch (error) {
    await copy.instance.delete(key).catch(() => undefined);
    return failedCopy(copy, `cross-check failed: ${describeError(error)}`);
  }
  await recordCheck(run, copy.destination, produced, check, '');
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

export async function recordCheck(
  run: RunContext,
  destination: string,
  produced: Expected,
  check: CopyCheck,
  how: string,
): Promise<void> {
  await run.session.catalog.recordVerification({
    backupId: run.backupId,
    destination,
    level: 'backup',
    status: check.ok ? 'ok' : check.kind,
    expectedSize: produced.size,
    expectedSha256: produced.sha256,
    actualSize: check.ok ? check.size : (check.actualSize ?? null),
    actualSha256: check.ok ? check.sha256 : (check.actualSha256 ?? null),
    detail: check.ok ? `${how}${check.how}` : check.message,
  });
}

/**
 * The retry step: each failed copy whose error may be transient is written again from the spool file or a verified
 * copy (cheapest first), never from the database. Permanent errors (refused login, missing folder) are not retried.
 */
export async function retryFailedCopies(
  run: RunContext,
  copies: readonly Copy[],
  key: string,
  produced: Expected,
  spoolPath: string | undefined,
): Promise<Copy[]> {
  const { session } = run;
  const retryable = copies.filter((c) => c.state === 'failed' && c.retryable);
  if (retryable.length === 0 || session.config.retries.attempts === 0) return [...copies];
  const candidates = (await rankByCost(session, copies.filter(isVerified))).map((c) => c.destination);
  if (candidates.length === 0 && spoolPath === undefined) {
    session.logger.warn(
      `job ${run.job.name}: no copy survived; nothing to retry from (set spool: true to keep one)`,
    );
    return [...copies];
  }
  return Promise.all(
    copies.map(async (copy): Promise<Copy> => {
      if (copy.state !== 'failed' || !copy.retryable) return copy;
      const result = await retryCopy(run, {
        destination: copy.destination,
        key,
        produced,
        candidates,
        ...(spoolPath === undefined ? {} : { spoolPath }),
        previousError: copy.error,
      });
      const attempts = copy.attempts + result.attempts;
      if (result.verified === undefined)
        return { ...copy, attempts, error: result.error ?? copy.error, retryable: false };
      return { state: 'verified', destination: copy.destination, attempts, ...result.verified };
    }),
  );
}

/** Removes every stored copy of a run that is not kept (the dump failed or produced nothing). */
export async function discardCopies(
  run: RunContext,
  copies: readonly Copy[],
  key: string,
  why: string,
): Promise<Copy[]> {
  return Promise.all(
    copies.map(async (copy): Promise<Copy> => {
      if (copy.state === 'failed') return copy;
      if (copy.state === 'written' || copy.state === 'verified') {
        try {
          const instance =
            copy.state === 'written' ? copy.instance : await run.session.destination(copy.destination);
          await instance.delete(key);
        } catch (error) {
          run.session.logger.debug(`cleanup on ${copy.destination}: ${describeError(error)}`);
        }
      }
      return failedCopy(copy, why);
    }),
  );
}
