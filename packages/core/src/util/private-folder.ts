import { lstat, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from './errors.js';

/** The default workDir: `$TMPDIR/tricopy-<uid>`, one per user, so no user works in a folder another made. */
export function defaultWorkDir(): string {
  const uid = process.getuid?.();
  return join(tmpdir(), uid === undefined ? 'tricopy' : `tricopy-${uid}`);
}

/**
 * Makes sure `path` is a folder only the running user controls: created 0700 when missing; refused when it is a
 * symlink, not a folder, owned by another user, or writable by group or others (who could swap what is in it).
 */
export async function ensurePrivateFolder(path: string, configFile?: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await mkdir(path, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const problem = privateFolderProblem(await lstat(path));
  if (problem !== undefined) {
    throw new ConfigError(
      [
        `workDir ${path} ${problem}: tricopy keeps database snapshots and staged copies there, so it must be a folder of yours that nobody else can write (remove it so tricopy creates it, or set workDir in the config to a private folder)`,
      ],
      configFile,
    );
  }
}

function privateFolderProblem(info: Awaited<ReturnType<typeof lstat>>): string | undefined {
  if (info.isSymbolicLink()) return 'is a symlink';
  if (!info.isDirectory()) return 'is not a folder';
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) return `belongs to uid ${info.uid}, not to you (uid ${uid})`;
  const mode = Number(info.mode) & 0o777;
  if ((mode & 0o022) !== 0)
    return `has mode ${mode.toString(8).padStart(4, '0')}: group or others can write in it`;
  return undefined;
}
