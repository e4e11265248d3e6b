// `tricopy wal JOB` in the background, as the CLI's user: its output collected, stopped by SIGTERM or killed.
import type { ChildProcess } from 'node:child_process';
import { type PitrWorkspace, type RunAs, spawnCliAs } from './pitr-user.js';

export interface ArchiverExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Archiver {
  readonly pid: number;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** stdout's complete lines parsed as JSON (`--json`); other lines are skipped. */
  readonly events: () => Record<string, unknown>[];
  /** Undefined while it runs. */
  readonly exit: () => ArchiverExit | undefined;
  readonly exited: Promise<ArchiverExit>;
  /** SIGTERM, then waits for the exit: a clean stop. */
  stop(): Promise<ArchiverExit>;
  /** SIGKILL, then waits for the exit: no chance to clean up. */
  kill(): Promise<ArchiverExit>;
}

function collect(child: ChildProcess): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  return { out: () => out, err: () => err };
}

function parseLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .slice(0, -1)
    .flatMap((line) => {
      try {
        const value: unknown = JSON.parse(line);
        return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
}

export function startArchiver(
  user: RunAs,
  ws: PitrWorkspace,
  job: string,
  extraArgs: readonly string[] = ['--json'],
): Archiver {
  const child = spawnCliAs(user, ws, ['wal', job, ...extraArgs]);
  const { out, err } = collect(child);
  let ended: ArchiverExit | undefined;
  const exited = new Promise<ArchiverExit>((resolve) => {
    child.once('close', (code, signal) => {
      ended = { code, signal };
      resolve(ended);
    });
  });
  const signal = async (name: NodeJS.Signals) => {
    if (ended === undefined) child.kill(name);
    return exited;
  };
  return {
    pid: child.pid ?? -1,
    stdout: out,
    stderr: err,
    events: () => parseLines(out()),
    exit: () => ended,
    exited,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
  };
}
