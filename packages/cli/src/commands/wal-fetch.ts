import { resolve } from 'node:path';
import { describeError, fetchWalFile, terminalSafe } from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';

/**
 * PostgreSQL stops recovery with an error (rather than ending it there and starting up) when restore_command exits
 * above 125: what wal-fetch does when the file is archived but cannot be fetched, so a gap never ends recovery early.
 */
export const WAL_UNAVAILABLE = 126;
/** The archive has no such file: PostgreSQL takes it as the end of the archive. */
const NOT_ARCHIVED = 1;

/**
 * `tricopy wal-fetch --job JOB NAME TARGET`, PostgreSQL's restore_command: 0 when TARGET holds the archived file,
 * checked; 1, quietly, when the catalog has no such file; 126 with one line on stderr when it cannot be fetched
 * (every copy bad or unreachable, or a config or identity problem). Each bad copy is one line on stderr.
 */
export async function walFetchCommand(
  name: string,
  target: string,
  options: GlobalOptions & { job: string },
): Promise<number> {
  const say = (line: string) => process.stderr.write(`${terminalSafe(line)}\n`);
  try {
    return await withSession(options, async (session) => {
      const result = await fetchWalFile(session, options.job, name, resolve(target), (skipped) =>
        say(`tricopy wal-fetch: ${name} on ${skipped.destination} skipped: ${skipped.reason}`),
      );
      if (result.kind === 'fetched') return 0;
      if (result.kind === 'not-archived') return NOT_ARCHIVED;
      say(`tricopy wal-fetch: ${name} of job ${options.job} is archived but no copy could be read intact`);
      return WAL_UNAVAILABLE;
    });
  } catch (error) {
    say(`tricopy wal-fetch: ${describeError(error)}`);
    return WAL_UNAVAILABLE;
  }
}
