import { lstat, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Socket folders of restore-test servers whose work folder path was too long for a Unix socket. */
export const SOCKET_DIR_PREFIX = 'tricopy-pgsock-';

/**
 * Removes the socket folders that killed restore tests of base backups left in the temp folder (older than
 * `olderThan`, ours). Their scratch data directories live in the run's work folder, which the engine removes with
 * the run; a scratch server still running then stops by itself within a minute (PostgreSQL shuts down when its
 * lock file disappears).
 */
export async function sweepBaseScratch(olderThan: Date, dir = tmpdir()): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names.filter((candidate) => candidate.startsWith(SOCKET_DIR_PREFIX))) {
    const path = join(dir, name);
    const stats = await lstat(path).catch(() => undefined);
    if (stats?.isDirectory() !== true || stats.uid !== process.getuid?.()) continue;
    if (stats.mtimeMs >= olderThan.getTime()) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(`restore-test socket folder ${path}`);
  }
  return removed;
}
