import type { Session } from '../session/session.js';

/**
 * The one ranking of copies, used by retries and restores: local disk before remote stores, on-site before
 * offsite, destinations that cannot be opened last. Stable within a rank.
 */
export async function rankByCost<T extends { readonly destination: string }>(
  session: Session,
  copies: readonly T[],
): Promise<T[]> {
  const ranked = await Promise.all(
    copies.map(async (copy) => ({ copy, rank: await costOf(session, copy.destination) })),
  );
  return ranked.sort((a, b) => a.rank - b.rank).map((r) => r.copy);
}

async function costOf(session: Session, name: string): Promise<number> {
  try {
    const spec = session.destinationSpec(name);
    const destination = await session.destination(name);
    return (destination.capabilities?.local ? 0 : 2) + (spec.offsite ? 1 : 0);
  } catch {
    return 4;
  }
}
