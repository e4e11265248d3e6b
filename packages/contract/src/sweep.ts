import type { SweepOptions } from './plugin.js';

/**
 * The rule every `sweep` applies to one leftover: remove it only when it is provably dead, i.e. its folder (the key
 * prefix it was written under, ending in '/', or '' at the top) is one the engine knows is abandoned, or it was
 * started (or last written) before `olderThan`. A leftover of unknown age is left alone unless abandoned.
 */
export function isDeadLeftover(options: SweepOptions, folder: string, time: Date | undefined): boolean {
  if (options.abandoned?.(folder) === true) return true;
  return time !== undefined && time.getTime() < options.olderThan.getTime();
}

/** The folder of a key, as `abandoned` takes it: 'a/b/' for 'a/b/c', '' for 'c'. */
export function folderOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}
