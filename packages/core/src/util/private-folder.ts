import { lstat, mkdir, realpath, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from './errors.js';

/** The default workDir: `$TMPDIR/tricopy-<uid>`, one per user, so no user works in a folder another made. */
export function defaultWorkDir(): string {
  const uid = process.getuid?.();
  return join(tmpdir(), uid === undefined ? 'tricopy' : `tricopy-${uid}`);
}

type Info = Awaited<ReturnType<typeof lstat>>;

/**
 * Makes sure `path` is a folder only the running user controls: created 0700 when missing; refused when it is a
 * symlink, not a folder, owned by another user, or writable by group or others (who could swap what is in it), or
 * when a folder above it lets another user rename it away (as in `/tmp`, only the sticky bit prevents that).
 */
export async function ensurePrivateFolder(path: string, configFile?: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await mkdir(path, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const problem = privateFolderProblem(await lstat(path)) ?? (await unsafeAncestor(dirname(path)));
  if (problem !== undefined) {
    throw new ConfigError(
      [
        `workDir ${path} ${problem}: tricopy keeps database snapshots and staged copies there, so it must be a folder of yours that nobody else can write (remove it so tricopy creates it, or set workDir in the config to a private folder)`,
      ],
      configFile,
    );
  }
}

function privateFolderProblem(info: Info): string | undefined {
  if (info.isSymbolicLink()) return 'is a symlink';
  if (!info.isDirectory()) return 'is not a folder';
  if (!isOwnedBy(info, [process.getuid?.()]))
    return `belongs to uid ${info.uid}, not to you (uid ${process.getuid?.()})`;
  const mode = Number(info.mode) & 0o777;
  if ((mode & 0o022) !== 0)
    return `has mode ${mode.toString(8).padStart(4, '0')}: group or others can write in it`;
  return undefined;
}

/** The first folder above (symlinks resolved) that someone other than root or the user could rename things in. */
async function unsafeAncestor(parent: string): Promise<string | undefined> {
  const owners = [0, process.getuid?.()];
  for (let folder = await realpath(parent); ; folder = dirname(folder)) {
    const info = await stat(folder);
    const mode = Number(info.mode);
    if (!isOwnedBy(info, owners)) return `is inside ${folder}, which belongs to uid ${info.uid}`;
    if ((mode & 0o022) !== 0 && (mode & 0o1000) === 0) {
      return `is inside ${folder}, whose mode ${(mode & 0o777).toString(8).padStart(4, '0')} lets others rename what is in it (it lacks the sticky bit)`;
    }
    if (dirname(folder) === folder) return undefined;
  }
}

function isOwnedBy(info: Info, uids: readonly (number | undefined)[]): boolean {
  return uids.includes(undefined) || uids.includes(Number(info.uid));
}
