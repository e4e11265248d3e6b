import { DestinationError } from '@tricopy/contract';
import { EXIT, exitMeaning } from './exit-codes.js';

export interface Scope {
  /** `destination "gdrive"` */
  readonly who: string;
  /** The rclone program run. */
  readonly program: string;
  redact(text: string): string;
}

/** How an rclone run ended, as far as errors care. */
export interface Outcome {
  readonly exitCode?: number | undefined;
  readonly signal?: string | undefined;
  /** Set when rclone could not be started at all (ENOENT: not installed). */
  readonly code?: string | undefined;
  readonly stderr?: unknown;
}

const LOG_PREFIX = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (?:(?:ERROR|NOTICE|CRITICAL|INFO|DEBUG)\s*:\s*)?/;

/** rclone's stderr without log timestamps, redacted, one entry a line. */
function stderrLines(scope: Scope, stderr: unknown): string[] {
  const text = typeof stderr === 'string' ? stderr : '';
  return scope
    .redact(text)
    .split('\n')
    .map((line) => line.replace(LOG_PREFIX, '').trim())
    .filter((line) => line !== '');
}

/** A one-line DestinationError for a failed rclone run, classified by its exit code (never by its text). */
export function rcloneFailure(
  scope: Scope,
  action: string,
  command: string,
  outcome: Outcome,
): DestinationError {
  if (outcome.code === 'ENOENT') {
    return new DestinationError(
      `${scope.who}: ${action}: cannot run ${scope.program}: not installed (apt-get install rclone, or set the ` +
        'rclone option to its path)',
    );
  }
  const lines = stderrLines(scope, outcome.stderr);
  const last = lines.at(-1)?.slice(0, 300);
  const how =
    outcome.exitCode === undefined
      ? `was stopped (${outcome.signal ?? 'no exit code'})`
      : `failed (exit ${outcome.exitCode}: ${exitMeaning(outcome.exitCode)})`;
  return new DestinationError(`${scope.who}: ${action}: rclone ${command} ${how}${last ? `: ${last}` : ''}`, {
    retryable: outcome.exitCode === EXIT.temporary || outcome.exitCode === undefined,
    ...(lines.length > 0 && { details: lines.join('\n') }),
  });
}

/** The temporary object of an upload in progress is gone: a sweep (or someone else) removed it. */
export function vanished(scope: Scope, temp: string): DestinationError {
  return new DestinationError(
    `${scope.who}: the temporary object ${temp} was removed by someone else while it was being written (another ` +
      'program, or a tricopy of another config sharing this remote, cleaning up): nothing was stored; make sure ' +
      'nothing else deletes .tricopy-tmp-* objects there',
    { retryable: true },
  );
}

/**
 * rclone failed after it was sent all the bytes, and its temporary object is not there: most likely removed while
 * it was written, which rclone's exit code cannot tell apart from other failures; the message says both.
 */
export function vanishedDuring(temp: string, failure: DestinationError): DestinationError {
  return new DestinationError(
    `${failure.message}; the temporary object ${temp} is gone: if it was removed by someone else while it was ` +
      'being written (another program, or a tricopy of another config sharing this remote, cleaning up), make ' +
      'sure nothing else deletes .tricopy-tmp-* objects there',
    { retryable: true, ...(failure.details !== undefined && { details: failure.details }) },
  );
}

export function aborted(scope: Scope, action: string, cause: unknown): DestinationError {
  return new DestinationError(`${scope.who}: ${action}: aborted`, { cause });
}
