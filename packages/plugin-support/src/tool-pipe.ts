import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { findOnPath } from './executable.js';
import { collectTail } from './stderr-tail.js';

/** How a program ended. */
export interface ProgramExit {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** It could not be started (ENOENT, EACCES) or could not be waited for. */
  readonly error?: Error;
  /** Its stderr tail, not redacted (redact before showing it). */
  readonly stderr: string;
}

export interface ToolPipeRequest {
  readonly file: string;
  readonly args: readonly string[];
  /** The tool's whole environment (nothing is inherited). */
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  /** Connect the tool's stdout straight to `zstd` (an OS pipe): Node then reads only the compressed bytes. */
  readonly zstd?: { readonly program: string; readonly level: number };
  /** How long a cancelled program gets between SIGTERM and SIGKILL (default 5 s). */
  readonly killAfterMs?: number;
}

export interface ToolPipe {
  /** The last program's stdout: the tool's output, or zstd's when compressing. */
  readonly stdout: Readable;
  /** The tool's stderr so far (its tail). */
  readonly stderr: () => string;
  /** Settles (never rejects) when the tool has exited. */
  readonly tool: Promise<ProgramExit>;
  /** Settles (never rejects) when zstd has exited; undefined when not compressing. */
  readonly compressor: Promise<ProgramExit> | undefined;
  /** True once `signal` aborted or `kill` was called. */
  readonly stopped: () => boolean;
  /** Stops every program of the pipe (SIGTERM, then SIGKILL). */
  kill(): void;
}

/** The `zstd` program on PATH, or undefined when there is none. */
export function findZstd(): string | undefined {
  return findOnPath('zstd');
}

/**
 * zstd's arguments: `-T0` uses every core (with only one core it is the single-threaded path), `-q` and
 * `--no-progress` keep stderr for errors.
 */
export function zstdArgs(level: number): string[] {
  return [`-${level}`, '-T0', '-c', '-q', '--no-progress'];
}

/**
 * Starts a dump tool, its stdout either read by Node or, with `zstd`, connected straight into the `zstd` program so
 * the raw dump never passes through Node. Both programs are stopped when `signal` aborts, and the tool when zstd
 * fails. The caller reads `stdout` to its end and judges `tool` and `compressor`.
 */
export function startToolPipe(request: ToolPipeRequest): ToolPipe {
  const { signal } = request;
  let stopped = false;
  const tool = spawn(request.file, request.args, {
    env: request.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const toolStderr = collectTail(tool.stderr);
  const children: ChildProcess[] = [tool];
  const kill = () => {
    stopped = true;
    for (const child of children) terminate(child, request.killAfterMs ?? 5_000);
  };
  const toolExit = exitOf(tool, toolStderr);
  let stdout: Readable = tool.stdout;
  let compressorExit: Promise<ProgramExit> | undefined;
  if (request.zstd !== undefined) {
    // Spawned in the same tick: Node has read nothing from the tool's stdout yet, and stops reading it now.
    const zstd = spawn(request.zstd.program, zstdArgs(request.zstd.level), {
      env: { PATH: request.env.PATH ?? '' },
      stdio: [tool.stdout, 'pipe', 'pipe'],
    });
    children.push(zstd);
    // Our copy of the pipe's read end: closed, so the tool gets EPIPE (not a full pipe forever) if zstd dies.
    tool.stdout.destroy();
    compressorExit = exitOf(zstd, collectTail(zstd.stderr));
    void compressorExit.then((exit) => {
      if (exit.exitCode !== 0) terminate(tool, request.killAfterMs ?? 5_000);
    });
    stdout = zstd.stdout;
  }
  if (signal !== undefined) {
    if (signal.aborted) kill();
    else signal.addEventListener('abort', kill, { once: true });
    void Promise.all([toolExit, compressorExit]).then(() => signal.removeEventListener('abort', kill));
  }
  return {
    stdout,
    stderr: toolStderr,
    tool: toolExit,
    compressor: compressorExit,
    stopped: () => stopped,
    kill,
  };
}

function exitOf(child: ChildProcess, stderr: () => string): Promise<ProgramExit> {
  return new Promise((resolve) => {
    let error: Error | undefined;
    child.once('error', (e) => {
      error = e;
      // A program that could not start emits no 'close' on some Node versions when it has no stdio streams.
      if (child.pid === undefined) resolve({ exitCode: null, signal: null, error, stderr: stderr() });
    });
    child.once('close', (exitCode, signal) => {
      resolve({ exitCode, signal, ...(error === undefined ? {} : { error }), stderr: stderr() });
    });
  });
}

function terminate(child: ChildProcess, killAfterMs: number): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, killAfterMs);
  timer.unref();
  child.once('exit', () => clearTimeout(timer));
}
