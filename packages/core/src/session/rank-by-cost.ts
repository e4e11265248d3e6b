import { type CopyPlace, rankByPlace } from '../copies/copy-rank.js';
import type { Session } from './session.js';

/** `copies` cheapest to read first (see rankByPlace), opening their destinations to learn where they are. */
export async function rankByCost<T extends { readonly destination: string }>(
  session: Session,
  copies: readonly T[],
): Promise<T[]> {
  const names = [...new Set(copies.map((copy) => copy.destination))];
  const places = new Map(
    await Promise.all(names.map(async (name) => [name, await placeOf(session, name)] as const)),
  );
  return rankByPlace(copies, (name) => places.get(name));
}

/** Undefined when the destination cannot be opened. */
async function placeOf(session: Session, name: string): Promise<CopyPlace | undefined> {
  try {
    const spec = session.destinationSpec(name);
    const destination = await session.destination(name);
    return { local: destination.capabilities?.local === true, offsite: spec.offsite };
  } catch {
    return undefined;
  }
}
