import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { SourceError } from '@tricopy/contract';
import { execa } from 'execa';

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (await isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** An explicit binary (path relative to the config, or a name on PATH), or the first of `defaults` found. */
export async function resolveBinary(
  explicit: string | undefined,
  defaults: readonly string[],
  option: string,
  configDir: string,
  instance: string,
): Promise<string> {
  if (explicit !== undefined) {
    const found = explicit.includes('/')
      ? (await isExecutable(isAbsolute(explicit) ? explicit : join(configDir, explicit)))
        ? isAbsolute(explicit)
          ? explicit
          : join(configDir, explicit)
        : undefined
      : await onPath(explicit);
    if (found !== undefined) return found;
    throw new SourceError(
      `source "${instance}": ${option} ${explicit} not found or not executable (install the MariaDB/MySQL client or fix ${option})`,
    );
  }
  for (const name of defaults) {
    const found = await onPath(name);
    if (found !== undefined) return found;
  }
  throw new SourceError(
    `source "${instance}": none of ${defaults.join(', ')} found on PATH: install the MariaDB or MySQL client (e.g. apt-get install mariadb-client) or set ${option}`,
  );
}

export interface ClientVersion {
  readonly text: string;
  readonly mariadb: boolean;
}

/** `mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, …` → 10.11.19-MariaDB; MySQL 8: `Ver 8.0.36 for Linux`. */
export async function binaryVersion(
  file: string,
  env: Record<string, string>,
  instance: string,
): Promise<ClientVersion> {
  const result = await execa(file, ['--version'], { env, extendEnv: false, reject: false, timeout: 30_000 });
  const output = `${result.stdout}`;
  const match = /Distrib\s+([^\s,]+)/.exec(output) ?? /(?:from|Ver)\s+(\d+\.\d+\.\d+[^\s,]*)/.exec(output);
  if (result.exitCode !== 0 || match === null) {
    throw new SourceError(
      `source "${instance}": ${file} --version did not report a version (is it a MariaDB/MySQL tool?)`,
      {
        details: `${result.stdout}\n${result.stderr}`.trim(),
      },
    );
  }
  return { text: match[1]!, mariadb: /mariadb/i.test(output) };
}
