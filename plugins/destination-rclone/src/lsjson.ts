import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

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
