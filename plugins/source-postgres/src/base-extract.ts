import * as fsp from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { extract, type ReadEntry } from 'tar';

/** Entry types a data directory holds. Links, devices and FIFOs have no place in a one-tablespace base backup. */
const ALLOWED = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory']);

/** node:fs/promises, but every file created 0600 and every folder 0700, whatever the archive says. */
const privateFs = {
  ...fsp,
  open: (path: string, flags: string | number, _mode?: number) => fsp.open(path, flags, 0o600),
  mkdir: (path: string, options?: { recursive?: boolean; mode?: number }) =>
    fsp.mkdir(path, { ...options, mode: 0o700 }),
} as typeof fsp;

/** Why an entry is refused before anything of it is written; undefined when it may be extracted. */
export function refusedEntry(entry: Pick<ReadEntry, 'path' | 'type'>): string | undefined {
  if (!ALLOWED.has(entry.type)) return `holds a ${entry.type} entry (${entry.path})`;
  return undefined;
}

export class UnsafeArchiveError extends Error {}

/**
 * Extracts a base backup tar into `dir` (an existing private folder). node-tar refuses `..`, writing through
 * symlinks and (strict) absolute paths; links of any kind are refused here before they are made. Owners in the
 * archive are not applied. Resolves with the top-level names seen (to tell a base backup from another tar).
 */
export async function extractBase(input: Readable, dir: string): Promise<Set<string>> {
  const names = new Set<string>();
  await extract({
    input,
    cwd: dir,
    fs: privateFs,
    strict: true,
    preserveOwner: false,
    onEntry: (entry: ReadEntry) => {
      const refused = refusedEntry(entry);
      if (refused !== undefined) throw new UnsafeArchiveError(`the archive ${refused}`);
      names.add(entry.path.replace(/^\.\//, '').split('/')[0]!);
    },
    onwarn: () => {},
  });
  return names;
}
