import { isAbsolute, join } from 'node:path';
import { SourceError } from '@tricopy/contract';
import { findOnPath, isExecutable, versionOutput } from '@tricopy/plugin-support';

/** An explicit binary (path relative to the config, or a name on PATH), or the first of `defaults` found. */
export async function resolveBinary(
  explicit: string | undefined,
  defaults: readonly string[],
  option: string,
  configDir: string,
  instance: string,
): Promise<string> {
  if (explicit !== undefined) {
    const path = isAbsolute(explicit) ? explicit : join(configDir, explicit);
    const found = explicit.includes('/') ? (isExecutable(path) ? path : undefined) : findOnPath(explicit);
    if (found !== undefined) return found;
    throw new SourceError(
      `source "${instance}": ${option} ${explicit} not found or not executable (install the MariaDB/MySQL client or fix ${option})`,
    );
  }
  for (const name of defaults) {
    const found = findOnPath(name);
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
  const result = await versionOutput(file, ['--version'], env);
  const output = result.stdout;
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
