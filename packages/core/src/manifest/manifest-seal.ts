import type { Digest } from '../pipeline/hash-counter.js';
import { AGE_FORMAT, type Manifest, type SealedFacts } from './manifest.js';

/**
 * The manifest as stored for an encrypted artifact: only what a catalog rebuild needs stays readable (ids, times,
 * sizes, hashes, recipients) and, of a physical base backup, where its WAL starts and stops (what point-in-time
 * recovery, its window and WAL retention need without the identity: WAL file names, timelines and times, no data);
 * the source's description, details, table counts and recorded assertion values are sealed to the recipients.
 */
export async function sealManifest(
  manifest: Manifest,
  recipients: readonly string[] | undefined,
  plaintext: Digest | undefined,
): Promise<Manifest> {
  if (recipients === undefined || plaintext === undefined) return manifest;
  const { tables, assertions, source, artifact, ...rest } = manifest;
  const { decoded, ...stored } = artifact;
  const facts: SealedFacts = {
    source,
    ...(tables === undefined ? {} : { tables }),
    ...(assertions === undefined ? {} : { assertions }),
    ...(decoded === undefined ? {} : { decoded }),
  };
  return {
    ...rest,
    artifact: stored,
    source: { type: source.type, ...openWalPositions(source.details) },
    encryption: {
      format: AGE_FORMAT,
      recipients,
      plaintext: { size: plaintext.size, sha256: plaintext.sha256 },
      sealed: await (await import('@tricopy/age')).sealText(recipients, JSON.stringify(facts)),
    },
  };
}

/** The details of a base backup (`kind: 'base'`) that stay readable in an encrypted backup's manifest. */
const WAL_POSITIONS = ['kind', 'timeline', 'startWal', 'stopWal', 'startTime', 'stopTime'] as const;

function openWalPositions(details: Manifest['source']['details']): { details?: Record<string, unknown> } {
  if (details?.kind !== 'base') return {};
  return {
    details: Object.fromEntries(WAL_POSITIONS.filter((k) => k in details).map((k) => [k, details[k]])),
  };
}
