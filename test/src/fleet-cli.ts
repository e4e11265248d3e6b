import type { ResultPromise } from 'execa';
import { startTricopy } from './cli.js';

/** A tricopy process left running (worker, daemon), with the lines it has written to stderr so far. */
export interface Running {
  readonly child: ResultPromise;
  readonly log: string[];
}

/** Starts `tricopy ARGS` and collects its stderr lines (JSON log records for worker and daemon). */
export function startLogged(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): Running {
  const child = startTricopy(args, options);
  const log: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => log.push(...chunk.toString().split('\n').filter(Boolean)));
  return { child, log };
}

/** Polls `test` until it holds; fails naming `what` after `ms`. */
export async function until(
  what: string,
  test: () => boolean | Promise<boolean>,
  ms = 90_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
