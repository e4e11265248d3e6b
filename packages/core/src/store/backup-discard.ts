import { describeError } from '../util/errors.js';
import { type Copy, failedCopy } from './backup-copy.js';
import type { RunContext } from './backup-run.js';

/** Removes every stored copy of a run that is not kept (the backup failed, or its dump produced nothing). */
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
