import { resolve } from 'node:path';
import { defaultConfigPath, UsageError } from '@tricopy/core';
import { selfCommand } from './self-command.js';

/** Words sh reads as they are. */
const PLAIN = /^[\w@+=:,./-]+$/;
const CONTROL = /\p{Cc}/u;

/** One word for `sh -c`: as it is when plain, else in single quotes. */
export function shellWord(word: string): string {
  if (CONTROL.test(word)) {
    throw new UsageError(
      `${JSON.stringify(word)} contains a newline or another control character, which a restore_command cannot hold: rename it`,
    );
  }
  return PLAIN.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The `restore_command` PostgreSQL runs (through sh) to fetch each WAL file: this same tricopy's `wal-fetch`, with
 * the config (and env file, identity file) as absolute paths, so that it works from the data directory's server
 * whatever its working directory. `%` in a path is written `%%` (PostgreSQL would read `%f`-like sequences).
 */
export function restoreCommandLine(
  job: string,
  paths: { readonly config?: string; readonly envFile?: string; readonly identityFile?: string },
  self: readonly string[] = selfCommand(),
): string {
  const { config, envFile, identityFile } = paths;
  const words = [
    ...self,
    '--config',
    resolve(config ?? defaultConfigPath()),
    ...(envFile === undefined ? [] : ['--env-file', resolve(envFile)]),
    'wal-fetch',
    ...(identityFile === undefined ? [] : ['--identity', resolve(identityFile)]),
    '--job',
    job,
  ];
  return `${words.map((w) => shellWord(w).replaceAll('%', '%%')).join(' ')} %f "%p"`;
}
