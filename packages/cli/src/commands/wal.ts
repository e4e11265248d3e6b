import { caughtUpLine, keepArchivingWal, storedLine } from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printLine } from '../output.js';

/**
 * `tricopy wal JOB`: archives the job's WAL in the foreground until SIGTERM or SIGINT, which let the file in hand
 * finish (a second signal exits at once). One line per stored file on stdout (`--json`: one JSON object per line;
 * `--quiet`: none); warnings on stderr.
 */
export async function walCommand(job: string, options: GlobalOptions): Promise<number> {
  return withSession(options, async (session) => {
    const stop = new AbortController();
    const onSignal = () => {
      if (stop.signal.aborted) process.exit(EXIT.failed);
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await keepArchivingWal(session, job, {
        signal: stop.signal,
        onStored: (result) => {
          if (options.quiet) return;
          if (options.json) {
            const verified = result.copies.filter((copy) => copy.state === 'verified');
            const failed = result.copies.flatMap((copy) =>
              copy.state === 'failed' ? [{ destination: copy.destination, error: copy.error }] : [],
            );
            const stored = result.stored;
            process.stdout.write(
              `${JSON.stringify({
                event: stored === undefined ? 'wal-failed' : 'wal-stored',
                job,
                name: result.name,
                ...(stored === undefined
                  ? {}
                  : { rawSize: stored.rawSize, size: stored.size, key: stored.key }),
                destinations: verified.map((copy) => copy.destination),
                failed,
                ...(result.error === undefined ? {} : { error: session.redact(result.error) }),
              })}\n`,
            );
          } else printLine(session.redact(storedLine(job, result)));
        },
        onCaughtUp: (result) => {
          if (options.quiet) return;
          if (options.json)
            process.stdout.write(`${JSON.stringify({ event: 'wal-caught-up', job, ...result })}\n`);
          else printLine(session.redact(caughtUpLine(job, result)));
        },
      });
      return EXIT.ok;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}
