import { pipeline } from 'node:stream/promises';
import { SourceError } from '@tricopy/contract';
import { collectTail, firstErrorLine } from './stderr-tail.js';

export interface FeedToolRun {
  /** The program to run (an absolute path) and its arguments. */
  readonly file: string;
  readonly args: readonly string[];
  /** The child's whole environment: the parent's is not inherited. */
  readonly env: Readonly<Record<string, string>>;
  /** The dump, then any transforms it passes through on its way to the tool's stdin. */
  readonly streams: readonly [NodeJS.ReadableStream, ...NodeJS.ReadWriteStream[]];
  readonly signal?: AbortSignal | undefined;
  /** For messages: the source instance, the tool's name, and where to (` into "db"` or ''). */
  readonly instance: string;
  readonly tool: string;
  readonly into: string;
  readonly redact: (text: string) => string;
}

/**
 * Streams a dump into a restore tool (psql, pg_restore, mariadb…) and turns every way it can end badly into one
 * SourceError: cancelled, the tool failed or was killed (with its first error line; the redacted stderr in
 * `details`), or the dump could not be read.
 */
export async function feedTool(run: FeedToolRun): Promise<void> {
  const { execa } = await import('execa');
  const child = execa(run.file, [...run.args], {
    env: { ...run.env },
    extendEnv: false,
    stdin: 'pipe',
    stdout: 'ignore',
    buffer: false,
    reject: false,
    ...(run.signal === undefined ? {} : { cancelSignal: run.signal }),
    forceKillAfterDelay: 5_000,
  });
  const stderr = collectTail(child.stderr);
  // The tool may stop reading at its first error; its exit status says why, so EPIPE here is not the story.
  const feeding = pipeline([...run.streams, child.stdin]).catch((error: unknown) => error);
  const [result, fed] = await Promise.all([child, feeding]);
  const details = run.redact(stderr());
  const where = `source "${run.instance}"`;
  if (result.isCanceled || run.signal?.aborted) {
    throw new SourceError(`${where}: restore${run.into} was cancelled`, { details });
  }
  if (result.failed) {
    const line = firstErrorLine(details);
    const how = result.signal ? `was killed by ${result.signal}` : `failed (exit code ${result.exitCode})`;
    throw new SourceError(
      `${where}: ${run.tool} ${how} restoring${run.into}${line === undefined ? '' : `: ${line}`}`,
      { details },
    );
  }
  if (fed instanceof Error) {
    throw new SourceError(`${where}: reading the dump to restore failed: ${fed.message}`, {
      cause: fed,
      details,
    });
  }
}
