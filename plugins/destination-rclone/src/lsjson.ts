import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { DestinationError } from '@tricopy/contract';
import { rcloneFailure, type Scope } from './errors.js';
import { isNotFound } from './exit-codes.js';
import { type RcloneInvocation, runRclone } from './rclone.js';

/** One entry of `rclone lsjson` (the fields tricopy reads). */
export interface LsjsonEntry {
  readonly Path: string;
  readonly Name: string;
  readonly Size: number;
  readonly ModTime?: string;
  readonly IsDir: boolean;
  readonly Hashes?: Readonly<Record<string, string>>;
}

/**
 * The entries of `rclone lsjson` as it prints them, one object a line between `[` and `]`, without holding the
 * whole listing in memory.
 */
export async function* lsjsonEntries(stdout: Readable): AsyncGenerator<LsjsonEntry> {
  for await (const raw of createInterface({ input: stdout, crlfDelay: Number.POSITIVE_INFINITY })) {
    const line = raw.trim().replace(/,$/, '');
    if (line === '' || line === '[' || line === ']') continue;
    yield JSON.parse(line) as LsjsonEntry;
  }
}

export function modifiedAt(entry: LsjsonEntry): Date | undefined {
  if (entry.ModTime === undefined) return undefined;
  const time = new Date(entry.ModTime);
  return Number.isNaN(time.getTime()) ? undefined : time;
}

/** `rclone lsjson --stat PATH` (with these hash types): the file's entry, `undefined` when nothing or a folder is there. */
export async function statEntry(
  invocation: RcloneInvocation,
  scope: Scope,
  path: string,
  action: string,
  hashes: readonly string[],
): Promise<LsjsonEntry | undefined> {
  const hashArgs = hashes.flatMap((type) => ['--hash-type', type]);
  const result = await runRclone(invocation, 'lsjson', ['--stat', '--no-mimetype', ...hashArgs, path]);
  if (isNotFound(result.exitCode)) return undefined;
  if (result.exitCode !== 0) throw rcloneFailure(scope, action, 'lsjson', result);
  let entry: LsjsonEntry;
  try {
    entry = JSON.parse(result.stdout) as LsjsonEntry;
  } catch {
    throw new DestinationError(`${scope.who}: ${action}: rclone lsjson printed something that is not JSON`);
  }
  return entry.IsDir ? undefined : entry;
}
