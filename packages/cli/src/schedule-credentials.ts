import { isAbsolute } from 'node:path';
import { type LoadedConfig, UsageError } from '@tricopy/core';
import { systemdValue } from './schedule-quoting.js';

/**
 * `--credentials NAME=PATH,...`: where systemd loads each credential the config reads with `${credential:NAME}`.
 * Only those names, each an absolute path.
 */
export function credentialPaths(option: string | undefined, config: LoadedConfig): Map<string, string> {
  const paths = new Map<string, string>();
  if (option === undefined) return paths;
  for (const entry of option.split(',').filter((e) => e.trim() !== '')) {
    const at = entry.indexOf('=');
    const name = entry.slice(0, at).trim();
    const path = entry.slice(at + 1).trim();
    if (at <= 0 || !isAbsolute(path)) {
      throw new UsageError(`--credentials ${JSON.stringify(entry)}: expected NAME=/absolute/path`);
    }
    if (!config.credentials.includes(name)) {
      const known = config.credentials.map((c) => `\${credential:${c}}`).join(', ') || 'none';
      throw new UsageError(
        `--credentials: the config reads no \${credential:${name}} (it reads ${known}): fix the name or the config`,
      );
    }
    paths.set(name, path);
  }
  return paths;
}

/**
 * The `LoadCredential=` lines of a unit, one per `${credential:NAME}` of the config: `NAME:PATH` when a path was
 * given, else the bare `NAME`, which systemd (250 and later) looks for in /etc/credstore/, /run/credstore/ and
 * /usr/lib/credstore/.
 */
export function loadCredentialLines(config: LoadedConfig, paths: ReadonlyMap<string, string>): string {
  return config.credentials
    .map((name) => {
      const path = paths.get(name);
      const value = path === undefined ? name : `${name}:${path}`;
      return `LoadCredential=${systemdValue(value, `the credential ${name}`)}\n`;
    })
    .join('');
}

/** Cron has no credentials: a config that reads them cannot run from a crontab line. */
export function credentialWarnings(config: LoadedConfig, format: string): string[] {
  if (format !== 'crontab' || config.credentials.length === 0) return [];
  const names = config.credentials.map((c) => `\${credential:${c}}`).join(', ');
  return [
    `the config reads ${names}, which only a systemd unit with LoadCredential= provides: print the units with --print systemd, or read the secret with \${file:/PATH} instead`,
  ];
}
