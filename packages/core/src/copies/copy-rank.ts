/** Where a copy's destination is, as far as the cost of reading it goes. */
export interface CopyPlace {
  /** The destination is on this machine (its plugin says `capabilities.local`). */
  readonly local: boolean;
  readonly offsite: boolean;
}

/**
 * The one ranking of copies, used by retries, repairs and restores: local disk before remote stores, on-site before
 * offsite, destinations that cannot be opened (no place) last. Stable within a rank.
 */
export function rankByPlace<T extends { readonly destination: string }>(
  copies: readonly T[],
  placeOf: (destination: string) => CopyPlace | undefined,
): T[] {
  return copies
    .map((copy) => ({ copy, cost: readCost(placeOf(copy.destination)) }))
    .sort((a, b) => a.cost - b.cost)
    .map((ranked) => ranked.copy);
}

function readCost(place: CopyPlace | undefined): number {
  if (place === undefined) return 4;
  return (place.local ? 0 : 2) + (place.offsite ? 1 : 0);
}
