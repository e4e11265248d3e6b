import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { SIDE_FILES } from './files.js';

/** This host, as it appears in a staging name: letters, digits, `.` and `-` only. */
function hostTag(): string {
  return hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'host';
}

function stagingPrefix(target: string): string {
  return `.${basename(target)}.tricopy-restore-`;
}

/**
 * The hidden file a restore stages `target` in, beside it: `.NAME.tricopy-restore-<host>-<pid>-<random>`. The host
 * and pid let a later restore tell a killed restore's file from a running one's.
 */
export function stagingPath(target: string): string {
  const id = `${hostTag()}-${process.pid}-${randomBytes(6).toString('hex')}`;
  return join(dirname(target), `${stagingPrefix(target)}${id}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Whether a staging file name is provably a dead restore's: made on this host by a process that is gone. */
function isDeadStaging(prefix: string, name: string): boolean {
  if (!name.startsWith(prefix)) return false;
  const rest = name.slice(prefix.length);
  const side = SIDE_FILES.find((suffix) => rest.endsWith(suffix));
  const id = side === undefined ? rest : rest.slice(0, -side.length);
  const match = /^(.+)-(\d+)-[0-9a-f]{12}$/.exec(id);
  if (match === null || match[1] !== hostTag()) return false;
  const pid = Number(match[2]);
  return pid !== process.pid && !isRunning(pid);
}

/**
 * Removes the staging files (and their side files) that killed restores of `target` left beside it; returns their
 * paths. Files of a restore still running, of another host, or named by an older tricopy (no pid) are left alone.
 */
export async function removeDeadStaging(target: string): Promise<string[]> {
  const dir = dirname(target);
  const prefix = stagingPrefix(target);
  const dead = (await readdir(dir))
    .filter((name) => isDeadStaging(prefix, name))
    .map((name) => join(dir, name));
  await Promise.all(dead.map((file) => rm(file, { force: true })));
  return dead;
}
