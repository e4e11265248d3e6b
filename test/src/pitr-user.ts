// Runs the built CLI as the OS user PostgreSQL runs as. tricopy for PITR is meant to run as `postgres` (like
// pgBackRest): the data directory a restore writes must belong to the user that starts the server with pg_ctl, and
// PostgreSQL refuses root. When the suite runs as root, every CLI run is a child with that uid/gid (no runuser in
// between: a signal sent to the child reaches the CLI itself, which the SIGKILL test needs).
import { type ChildProcess, spawn } from 'node:child_process';
import { chown, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { osUserIds, PG_OS_USER, runningAsRoot } from '@tricopy/test-servers';
import { execa } from 'execa';
import { CLI, type CliResult } from './cli.js';

export interface RunAs {
  readonly name: string;
  /** Absent when the suite does not run as root: the CLI runs as the current user. */
  readonly ids?: { readonly uid: number; readonly gid: number };
}

export async function pitrRunAs(): Promise<RunAs> {
  if (!runningAsRoot()) return { name: 'the current user' };
  return { name: PG_OS_USER, ids: await osUserIds(PG_OS_USER) };
}

/**
 * Fails with a clear message when the CLI's user cannot run node, read the built CLI or write `dir` (a repository
 * under a folder without o+x, e.g. /root, is the usual cause).
 */
export async function assertReachable(user: RunAs, dir: string): Promise<void> {
  const probe = `const fs = require('node:fs'); fs.accessSync(${JSON.stringify(CLI)}, fs.constants.R_OK); fs.accessSync(${JSON.stringify(dir)}, fs.constants.W_OK | fs.constants.X_OK);`;
  const result = await execa(process.execPath, ['-e', probe], {
    ...user.ids,
    env: { PATH: process.env.PATH ?? '' },
    extendEnv: false,
    reject: false,
  });
  if (result.exitCode === 0) return;
  const why = (
    result.stderr.split('\n').find((line) => /^Error|EACCES|ENOENT/.test(line)) ?? result.stderr
  ).trim();
  throw new Error(
    `the PITR tests run tricopy as the OS user ${user.name} (PostgreSQL refuses root), and ${user.name} cannot run ${process.execPath} or read ${CLI} or write ${dir}: ${why || result.message}. Give every folder above the repository and node o+x (chmod o+x), or run the suite as an unprivileged user.`,
  );
}

/** A workspace folder the CLI's user owns (0700), with files written as that user's. */
export interface PitrWorkspace {
  readonly dir: string;
  /** Writes `text` at `relative` (0600, owned by the CLI's user) and returns the absolute path. */
  write(relative: string, text: string): Promise<string>;
  /** Creates the folder `relative` (owned by the CLI's user) and returns its absolute path. */
  mkdir(relative: string): Promise<string>;
  remove(): Promise<void>;
}

export async function makePitrWorkspace(user: RunAs, name: string): Promise<PitrWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), `tricopy-e2e-${name}-`));
  const own = async (path: string) => {
    if (user.ids) await chown(path, user.ids.uid, user.ids.gid);
  };
  await own(dir);
  return {
    dir,
    async write(relative, text) {
      const path = join(dir, relative);
      await execa('mkdir', ['-p', dirname(path)]);
      if (dirname(path) !== dir) await own(dirname(path));
      await writeFile(path, text, { mode: 0o600 });
      await own(path);
      return path;
    },
    async mkdir(relative) {
      const path = join(dir, relative);
      await mkdir(path, { mode: 0o700 });
      await own(path);
      return path;
    },
    remove: () => execa('rm', ['-rf', '--', dir]).then(() => undefined),
  };
}

function cliEnv(ws: PitrWorkspace, env: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: ws.dir, ...env };
}

/** Runs `bash -c script` as the CLI's user in the workspace (what a user would type as that user). */
export async function runShellAs(user: RunAs, ws: PitrWorkspace, script: string): Promise<string> {
  const result = await execa('bash', ['-c', `set -euo pipefail\n${script}`], {
    ...user.ids,
    cwd: ws.dir,
    env: cliEnv(ws),
    extendEnv: false,
  });
  return result.stdout;
}

/** Runs the real CLI to its end as the CLI's user, in the workspace. */
export async function runCliAs(
  user: RunAs,
  ws: PitrWorkspace,
  args: readonly string[],
  env?: Readonly<Record<string, string>>,
): Promise<CliResult> {
  const result = await execa(process.execPath, [CLI, ...args], {
    ...user.ids,
    cwd: ws.dir,
    env: cliEnv(ws, env),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  return { code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Starts the real CLI as the CLI's user without waiting (a long-running command such as `tricopy wal`). */
export function spawnCliAs(
  user: RunAs,
  ws: PitrWorkspace,
  args: readonly string[],
  env?: Readonly<Record<string, string>>,
): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    ...user.ids,
    cwd: ws.dir,
    env: cliEnv(ws, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
