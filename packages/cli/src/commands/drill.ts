import { drillJob } from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { interruptible } from '../interruptible.js';
import { printJson, printLine } from '../output.js';

/** `tricopy drill JOB`: the job's restore drill now, recorded like a scheduled one. */
export async function drillCommand(job: string, options: GlobalOptions): Promise<number> {
  return withSession(options, async (session) => {
    const result = await interruptible('drill', (signal) => drillJob(session, job, { signal }));
    if (options.json) printJson(result);
    else {
      const passed = result.assertions.filter((a) => a.ok).length;
      printLine(
        `drill of ${result.job}: backup ${result.backupId} from ${result.destination ?? '-'} into ${result.target}: ` +
          `${result.status} in ${Math.round(result.durationMs / 100) / 10}s, ${passed}/${result.assertions.length} assertions passed` +
          (result.error === undefined ? '' : `: ${result.error}`),
      );
    }
    return result.status === 'ok' ? EXIT.ok : EXIT.failed;
  });
}
