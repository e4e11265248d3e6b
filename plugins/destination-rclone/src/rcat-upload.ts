import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DestinationError, TricopyError } from '@tricopy/contract';
import { BodyHash } from './body-hash.js';
import { aborted, rcloneFailure, type Scope, vanishedDuring } from './errors.js';
import { isRunning, outcomeOf, type RcloneInvocation, startRclone } from './rclone.js';

export interface Upload {
  /** `REMOTE:folder/.tricopy-tmp-…` */
  readonly temp: string;
  readonly body: Readable;
  /** `put "key"`, for messages. */
  readonly action: string;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Streams the body into `rclone rcat TEMP`; resolves with the size and hashes of what was sent once rclone stored all
 * of it. `isGone` asks whether the temporary object is missing, to explain a failure of rclone after all was sent.
 */
export async function rcatUpload(
  invocation: RcloneInvocation,
  scope: Scope,
  upload: Upload,
  isGone: () => Promise<boolean>,
): Promise<BodyHash> {
  const { temp, body, action, signal } = upload;
  const hash = new BodyHash();
  const child = startRclone(invocation, 'rcat', [temp], { stdin: 'pipe', stdout: 'ignore', signal });
  let stdinError: unknown;
  let bodyError: unknown;
  child.stdin.once('error', (error) => {
    stdinError = error;
  });
  // A body that fails is no end of input: rclone is stopped (what it stored anyway is never moved into place).
  body.once('error', (error) => {
    if (error === stdinError) return;
    bodyError = error;
    if (isRunning(child)) child.kill();
  });
  const sent = await pipeline(body, hash, child.stdin, signal ? { signal } : {}).then(
    () => undefined,
    (error: unknown) => error ?? new Error('upload failed'),
  );
  const outcome = outcomeOf(await child);
  if (signal?.aborted) throw aborted(scope, action, signal.reason);
  if (bodyError !== undefined) throw bodyFailure(scope, action, bodyError);
  if (outcome.exitCode !== 0) {
    const failure = rcloneFailure(scope, action, 'rcat', outcome);
    // rclone had all the bytes and its temporary object is gone: removed while rclone was writing it.
    throw sent === undefined && (await isGone()) ? vanishedDuring(temp, failure) : failure;
  }
  if (sent !== undefined) throw bodyFailure(scope, action, sent);
  return hash;
}

function bodyFailure(scope: Scope, action: string, error: unknown): TricopyError {
  if (TricopyError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new DestinationError(`${scope.who}: ${action}: ${scope.redact(message)}`, { cause: error });
}
