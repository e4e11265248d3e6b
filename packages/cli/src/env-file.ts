import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { UsageError } from '@tricopy/core';

/**
 * Reads `--env-file FILE`: `KEY=value` lines (`#` comments, optional quotes, no shell expansion), the values `${VAR}`
 * in the config refers to. The file holds secrets, so it must be a regular file of the user running tricopy that
 * nobody else can read or write (mode 0600 or 0400). Its values are used to fill in the config only; they are not put into the
 * environment of tricopy or of the tools it runs.
 */
export async function readEnvFile(file: string): Promise<Record<string, string>> {
  const path = resolve(file);
  // One handle for the checks and the read, so the file checked is the file read; O_NONBLOCK: a FIFO never blocks.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: unknown) => {
    throw new UsageError(`--env-file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'cannot read it'}`);
  });
  try {
    assertPrivate(path, await handle.stat());
    const values = parseEnv(await handle.readFile('utf8'));
    return Object.fromEntries(
      Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined),
    );
  } finally {
    await handle.close();
  }
}

function assertPrivate(path: string, info: Stats): void {
  if (!info.isFile()) throw new UsageError(`--env-file ${path}: not a regular file`);
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new UsageError(
      `--env-file ${path}: belongs to uid ${info.uid}, not to you (uid ${uid}), so its owner could change the secrets tricopy uses: run chown ${uid} ${path}`,
    );
  }
  const mode = info.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new UsageError(
      `--env-file ${path}: mode ${mode.toString(8).padStart(4, '0')} lets others read or change the secrets in it: run chmod 600 ${path}`,
    );
  }
}

/** The environment `${VAR}` is filled from: the process environment, overridden by `--env-file`. */
export async function configEnvironment(envFile: string | undefined): Promise<NodeJS.ProcessEnv> {
  return envFile === undefined ? process.env : { ...process.env, ...(await readEnvFile(envFile)) };
}
