import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * A path from a config file: `~` and `~/…` are in the home folder, absolute paths stay, anything else is relative to
 * the config's folder. (`~user/…` is not expanded: it resolves against the config's folder like any relative path.)
 */
export function resolveConfigPath(configDir: string, path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return isAbsolute(path) ? resolve(path) : resolve(configDir, path);
}
