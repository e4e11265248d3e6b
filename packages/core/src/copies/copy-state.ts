import type { CopyStatus } from '../catalog/catalog.js';

/**
 * How sure a caller must be of a copy before it counts. One rule per purpose, all from the copy's catalog status:
 * - `verified`: checked good (at backup, verify or repair). A backup's status, its 3-2-1 status, staleness,
 *   retention and the "newest verified backup" guards count these.
 * - `readable`: worth trying to read: verified, or written and not yet checked (`pending`). Restore tries these
 *   (the read itself proves the bytes).
 * - `present`: still one of the backup's copies: neither removed nor being removed on purpose (a failed copy too).
 *   A backup's status is judged over these; verify checks these.
 * - `may-exist`: its bytes may still be on the destination: verified, pending, or half-removed (`deleting`). Prune
 *   marks a backup pruned only when none is: more careful than `present`.
 */
export type CountRule = 'verified' | 'readable' | 'present' | 'may-exist';

const COUNTED_BY: Readonly<Record<CopyStatus, readonly CountRule[]>> = {
  verified: ['verified', 'readable', 'present', 'may-exist'],
  pending: ['readable', 'present', 'may-exist'],
  failed: ['present'],
  deleting: ['may-exist'],
  deleted: [],
};

/** Whether a copy in `status` still counts under `rule` (by default: it is verified). */
export function copyCounts(copy: { readonly status: CopyStatus }, rule: CountRule = 'verified'): boolean {
  return COUNTED_BY[copy.status].includes(rule);
}

/** The copies that count under `rule`, in their order. */
export function countedCopies<T extends { readonly status: CopyStatus }>(
  copies: readonly T[],
  rule: CountRule = 'verified',
): T[] {
  return copies.filter((copy) => copyCounts(copy, rule));
}
