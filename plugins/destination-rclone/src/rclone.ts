import { execa, type ResultPromise } from 'execa';
import type { Outcome } from './errors.js';

/** How to start rclone for one remote: the program, its environment (secrets live only here) and config args. */
export interface RcloneInvocation {
  readonly program: string;
  readonly env: Readonly<Record<string, string>>;
  /** `--config FILE` when one was chosen. */
  readonly configArgs: readonly string[];
}

/**
 * Flags of every run (all in rclone 1.60): only errors on stderr, and one attempt of the whole command: the engine
 * decides about retrying a failed operation (rclone still retries low-level requests).
 */
const COMMON_FLAGS = ['--log-level', 'ERROR', '--retries', '1'];

export interface RunOptions {
  readonly signal?: AbortSignal | undefined;
  readonly stdin?: 'pipe' | 'ignore';
  readonly stdout?: 'pipe' | 'ignore';
}

export type Child = ResultPromise<{ reject: false; buffer: { stdout: false } }>;

/** Starts `rclone COMMAND ARGS...` with its stdout as a stream (not buffered). */
export function startRclone(
  invocation: RcloneInvocation,
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Child {
  return execa(invocation.program, [command, ...COMMON_FLAGS, ...invocation.configArgs, ...args], {
    env: { ...invocation.env },
    extendEnv: false,
    reject: false,
    stdin: options.stdin ?? 'ignore',
    stdout: options.stdout ?? 'pipe',
    stderr: 'pipe',
    buffer: { stdout: false },
    encoding: 'buffer',
    forceKillAfterDelay: 5_000,
    ...(options.signal !== undefined && { cancelSignal: options.signal }),
  }) as unknown as Child;
}

export interface RunResult extends Outcome {
  readonly stdout: string;
}

/** Runs `rclone COMMAND ARGS...` to the end and returns its (small) output. */
export async function runRclone(
  invocation: RcloneInvocation,
  command: string,
  args: readonly string[],
  options: { signal?: AbortSignal | undefined; input?: string } = {},
): Promise<RunResult> {
  const result = await execa(
    invocation.program,
    [command, ...COMMON_FLAGS, ...invocation.configArgs, ...args],
    {
      env: { ...invocation.env },
      extendEnv: false,
      reject: false,
      stdin: options.input === undefined ? 'ignore' : 'pipe',
      ...(options.input !== undefined && { input: options.input }),
      forceKillAfterDelay: 5_000,
      ...(options.signal !== undefined && { cancelSignal: options.signal }),
    },
  );
  return outcomeOf(result, String(result.stdout ?? ''));
}

/** The parts of an execa result (or error) the error classifier reads. */
export function outcomeOf<T extends object>(result: T, stdout = ''): RunResult {
  const r = result as { exitCode?: number; signal?: string; code?: string; stderr?: unknown };
  const stderr = r.stderr instanceof Uint8Array ? Buffer.from(r.stderr).toString('utf8') : r.stderr;
  return { exitCode: r.exitCode, signal: r.signal, code: r.code, stderr, stdout };
}

/** Whether the child has not exited yet. */
export function isRunning(child: Child): boolean {
  const process = child as unknown as { exitCode: number | null; signalCode: string | null };
  return process.exitCode === null && process.signalCode === null;
}
