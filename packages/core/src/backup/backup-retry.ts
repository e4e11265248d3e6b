import type { CopyWriteContext } from '../copy-write/copy-write-context.js';
import { rewriteCopy } from '../copy-write/rewrite-copy.js';
import { rankByCost } from '../session/rank-by-cost.js';
import { type Copy, isVerified } from '../store/backup-copy.js';
import type { RunContext } from '../store/backup-run.js';

/**
 * The retry step: each failed copy whose error may be transient is written again from the spool file or a verified
 * copy (cheapest first), never from the database. Permanent errors (refused login, missing folder) are not retried.
 */
export async function retryFailedCopies(
  run: RunContext,
  writer: CopyWriteContext,
  copies: readonly Copy[],
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
      const result = await rewriteCopy(writer, {
        destination: copy.destination,
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
