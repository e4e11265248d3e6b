import { type Copy, failedCopy } from './backup-copy.js';
import type { RunContext } from './backup-run.js';

/** The open-destinations step: every destination of the job opened at once; one that cannot be is a failed copy. */
export function openDestinations(run: RunContext, open: boolean): Promise<Copy[]> {
  return Promise.all(
    run.job.destinations.map(async (destination): Promise<Copy> => {
      if (!open)
        return failedCopy({ destination, attempts: 0 }, 'not written: the source could not be opened');
      try {
        const instance = await run.session.destination(destination);
        return { state: 'open', destination, instance, attempts: 0 };
      } catch (error) {
        return failedCopy({ destination, attempts: 0 }, error);
      }
    }),
  );
}
