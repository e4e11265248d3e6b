import { rename, rm } from 'node:fs/promises';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openExclusive, tempPathBeside } from '@tricopy/contract';
import type { WalCopyRow, WalSegmentRow } from '../catalog/catalog.js';
import { type CompressionKind, createDecompressor } from '../pipeline/compression.js';
import { HashCounter } from '../pipeline/hash-counter.js';
import { readIdentities } from '../readback/restore-decrypt.js';
import { rankByCost } from '../session/rank-by-cost.js';
import type { Session } from '../session/session.js';
import { describeError, UsageError } from '../util/errors.js';
import { isWalFileName } from './wal-names.js';

/** A copy that could not be used, and why. */
export interface SkippedWalCopy {
  readonly destination: string;
  readonly reason: string;
}

export type WalFetchResult =
  /** The catalog has no such file (PostgreSQL asks past the end, and for history files that never existed). */
  | { readonly kind: 'not-archived' }
  | { readonly kind: 'fetched'; readonly destination: string; readonly skipped: readonly SkippedWalCopy[] }
  /** Archived, but no copy could be read back intact. */
  | { readonly kind: 'unavailable'; readonly skipped: readonly SkippedWalCopy[] };

/**
 * PostgreSQL's restore_command: writes the archived WAL file `name` of `job` to `target`. Copies are tried cheapest
 * first, verified ones before the rest; each is checked against the catalog (the stored artifact's SHA-256, then,
 * decrypted and decompressed, the raw file's), written to a new file beside `target` and renamed over it only once
 * every check passed. A copy that fails is reported through `onSkipped` and the next one tried.
 */
export async function fetchWalFile(
  session: Session,
  job: string,
  name: string,
  target: string,
  onSkipped: (skipped: SkippedWalCopy) => void = () => {},
): Promise<WalFetchResult> {
  session.job(job);
  if (!isWalFileName(name)) return { kind: 'not-archived' };
  const [row] = await session.catalog.walSegments(job, { from: name, to: name });
  if (row === undefined) return { kind: 'not-archived' };
  const identities = row.encrypted ? await identitiesFor(session, row) : undefined;
  const skipped: SkippedWalCopy[] = [];
  for (const copy of await candidates(session, row)) {
    try {
      await fetchCopy(session, row, copy.destination, target, identities);
      return { kind: 'fetched', destination: copy.destination, skipped };
    } catch (error) {
      const reason = session.redact(describeError(error));
      skipped.push({ destination: copy.destination, reason });
      onSkipped({ destination: copy.destination, reason });
    }
  }
  return { kind: 'unavailable', skipped };
}

/** The file's copies on destinations of the config, verified ones first, each group cheapest first. */
async function candidates(session: Session, row: WalSegmentRow): Promise<WalCopyRow[]> {
  const copies = (await session.catalog.walCopies(row.job, [row.name])).filter(
    (copy) => copy.status !== 'deleted' && session.config.destinations.has(copy.destination),
  );
  const verified = copies.filter((copy) => copy.status === 'verified');
  const others = copies.filter((copy) => copy.status !== 'verified');
  return [...(await rankByCost(session, verified)), ...(await rankByCost(session, others))];
}

async function identitiesFor(session: Session, row: WalSegmentRow): Promise<readonly string[]> {
  if (session.identityFile === undefined) {
    throw new UsageError(
      `WAL file ${row.name} of job ${row.job} is encrypted (age): pass --identity FILE (or set TRICOPY_IDENTITY_FILE) with the identity of one of the job's recipients`,
    );
  }
  return readIdentities(session.identityFile);
}

async function fetchCopy(
  session: Session,
  row: WalSegmentRow,
  destinationName: string,
  target: string,
  identities: readonly string[] | undefined,
): Promise<void> {
  const destination = await session.destination(destinationName);
  const stored = new HashCounter({ bytes: row.size, what: `the copy on ${destinationName}` });
  const raw = new HashCounter({ bytes: row.rawSize, what: `the decoded copy from ${destinationName}` });
  const temp = tempPathBeside(target);
  const handle = await openExclusive(temp);
  try {
    const body: Readable = await destination.get(row.key);
    // flush: fsynced before it closes, so the rename never publishes a file that a crash could leave empty.
    const file = handle.createWriteStream({ flush: true });
    await pipeline([body, stored, ...(await decoders(row, identities)), raw, file]);
    mustMatch(
      'stored',
      { size: stored.bytes, sha256: stored.sha256 },
      { size: row.size, sha256: row.sha256 },
    );
    mustMatch(
      'decoded',
      { size: raw.bytes, sha256: raw.sha256 },
      { size: row.rawSize, sha256: row.rawSha256 },
    );
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function decoders(row: WalSegmentRow, identities: readonly string[] | undefined): Promise<Transform[]> {
  const stages: Transform[] = [];
  if (identities !== undefined) {
    const { createDecryptStream } = await import('@tricopy/age');
    stages.push(createDecryptStream(identities) as Transform);
  }
  const decompressor = createDecompressor(row.compression as CompressionKind);
  if (decompressor !== undefined) stages.push(decompressor as Transform);
  return stages;
}

function mustMatch(
  what: 'stored' | 'decoded',
  got: { size: number; sha256: string },
  want: { size: number; sha256: string },
): void {
  if (got.size === want.size && got.sha256 === want.sha256) return;
  const which = what === 'stored' ? 'the copy' : 'the copy, decoded,';
  throw new Error(
    `${which} holds ${got.size} bytes sha256 ${got.sha256}; the catalog records ${want.size} bytes sha256 ${want.sha256}`,
  );
}
