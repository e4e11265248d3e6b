import { randomBytes } from 'node:crypto';

/**
 * The prefix of the databases `restore --force` works in: it restores into `<id>_new`, swaps it with the target
 * (which becomes `<id>_old`) and drops the old one. Distinct from the restore-test prefix `tricopy_restoretest_`.
 */
export const RESTORE_SWAP_PREFIX = 'tricopy_restore_';

export interface SwapNames {
  /** `tricopy_restore_t<ms since 1970, base 36>_<random hex>`: the run's id, also the name of its lock. */
  readonly id: string;
  /** Where the dump is restored; `fresh(1)`, `fresh(2)`... for a dump of several databases. */
  fresh(index?: number): string;
  /** What the replaced target is renamed to until it is dropped. */
  old(index?: number): string;
}

/** Fresh names for one restore: at most 48 characters, inside every server's limit. */
export function swapNames(now: Date = new Date()): SwapNames {
  const id = `${RESTORE_SWAP_PREFIX}t${now.getTime().toString(36)}_${randomBytes(6).toString('hex')}`;
  const suffix = (index: number) => (index === 0 ? '' : String(index));
  return {
    id,
    fresh: (index = 0) => `${id}_new${suffix(index)}`,
    old: (index = 0) => `${id}_old${suffix(index)}`,
  };
}

/** The id of the restore that made database `name`; undefined for a name tricopy's restore did not make. */
export function swapIdOf(name: string): string | undefined {
  return /^(tricopy_restore_t[0-9a-z]+_[0-9a-f]{12})_(?:new|old)\d*$/.exec(name)?.[1];
}
