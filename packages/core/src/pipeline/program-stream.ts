import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { Duplex } from 'node:stream';
import { collectTail } from '@tricopy/plugin-support';

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

/** How a filter program ended, for the error its stream is destroyed with. */
export interface FilterExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** It could not be started (ENOENT) or its pipes failed. */
  readonly error?: Error;
  readonly stderr: string;
}

/** Per filter stream: resolves, once its program has ended, with the failure it caused itself (none if it was stopped). */
const ownFailures = new WeakMap<Duplex, Promise<Error | undefined>>();

/**
 * Whether a filter program failed for its own reason (a non-zero exit, a signal it was not sent here): asked when
 * something downstream stopped the pipeline first (its output did not decode), so the cause is named.
 * Undefined for a stream that is not a filter program's.
 */
export function ownFailureOf(stream: unknown): Promise<Error | undefined> | undefined {
  return ownFailures.get(stream as Duplex);
}

/**
 * A program that reads stdin and writes stdout (`zstd -c`), as one Duplex: what is written goes to its stdin, what
 * it prints is read. The stream ends only once the program has exited 0; any other ending (not started, non-zero
 * exit, a signal, a broken pipe) destroys it with `explain(exit)`, so a truncated output never looks complete.
 * Destroying the stream stops the program.
 */
export function filterProgram(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  explain: (exit: FilterExit) => Error,
): Duplex {
  const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] }) as Child;
  const stderr = collectTail(child.stderr);
  let pipeError: Error | undefined;
  const exited = new Promise<FilterExit>((resolve) => {
    child.once('error', (error) => {
      pipeError ??= error;
      if (child.pid === undefined) resolve({ code: null, signal: null, error, stderr: stderr() });
    });
    child.once('close', (code, signal) =>
      resolve({ code, signal, ...(pipeError === undefined ? {} : { error: pipeError }), stderr: stderr() }),
    );
  });
  let inputEnded = false;
  let stopped = false;
  const failure = (exit: FilterExit) => {
    if (exit.code !== 0 || exit.error !== undefined) return explain(exit);
    return inputEnded
      ? undefined
      : explain({ ...exit, error: new Error('it exited before reading all its input') });
  };

  const stream: Duplex = new Duplex({
    write(chunk: Buffer, _encoding, callback) {
      if (child.stdin.write(chunk)) callback();
      else child.stdin.once('drain', () => callback());
    },
    final(callback) {
      child.stdin.end(() => {
        inputEnded = true;
        callback();
      });
    },
    read() {
      child.stdout.resume();
    },
    destroy(error, callback) {
      if (child.exitCode === null && child.signalCode === null) {
        stopped = true;
        child.kill('SIGKILL');
      }
      // Its output is not wanted any more; left paused, its pipe would never close, and neither would the child.
      child.stdout.destroy();
      callback(error);
    },
  });
  // A program that dies leaves our writes to a closed pipe (EPIPE): its exit says why, so wait for it.
  child.stdin.on('error', (error) => {
    pipeError ??= error;
  });
  child.stdout.on('error', (error) => {
    pipeError ??= error;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) child.stdout.pause();
  });
  ownFailures.set(
    stream,
    // Killed here, it ended for our reason; an exit of its own (even one we had not reaped yet) is its own.
    exited.then((exit) => (stopped && exit.signal === 'SIGKILL' ? undefined : failure(exit))),
  );
  void exited.then((exit) => {
    if (stream.destroyed) return;
    const error = failure(exit);
    if (error !== undefined) stream.destroy(error);
    // 'close' comes after stdout's end: everything the program printed has been pushed.
    else stream.push(null);
  });
  return stream;
}
