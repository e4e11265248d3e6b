import type { Readable } from 'node:stream';
import type { Destination } from '@tricopy/contract';
import { MANIFEST_NAME, type Manifest } from './manifest.js';
import { checkManifest } from './manifest-schema.js';

/** A manifest is a few KiB (a list of 100,000 tables: some MiB): anything larger is not read into memory. */
export const MANIFEST_MAX_BYTES = 8 * 1_048_576;

/** A manifest that is not one tricopy wrote: what is wrong, and where it was read from. */
export class InvalidManifestError extends Error {
  constructor(where: string, problems: readonly string[]) {
    super(`invalid manifest on ${where}, not imported: ${problems.join('; ')}`);
    this.name = 'InvalidManifestError';
  }
}

/**
 * The manifest stored at `key` on `destination`, checked against the schema and against the folder it was read
 * from (`JOB/BACKUP-ID/manifest.json`); read as a stream that stops at MANIFEST_MAX_BYTES.
 */
export async function readManifest(
  destination: Destination,
  key: string,
  where: string,
  now: Date,
): Promise<Manifest> {
  if (!key.endsWith(`/${MANIFEST_NAME}`)) throw new InvalidManifestError(where, [`not a ${MANIFEST_NAME}`]);
  const text = await readCapped(await destination.get(key), where);
  return parseManifest(text, where, { folder: key.slice(0, -MANIFEST_NAME.length), now });
}

/** `text` as a manifest found in `place.folder`; throws InvalidManifestError naming every problem. */
export function parseManifest(text: string, where: string, place: { folder: string; now: Date }): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidManifestError(where, ['not valid JSON']);
  }
  const checked = checkManifest(value, place);
  if (!checked.ok) throw new InvalidManifestError(where, checked.problems);
  return checked.manifest;
}

/** The stream as text, refused past MANIFEST_MAX_BYTES (leaving the loop early destroys the stream). */
async function readCapped(stream: Readable, where: string): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += bytes.length;
    if (total > MANIFEST_MAX_BYTES)
      throw new InvalidManifestError(where, [`larger than ${MANIFEST_MAX_BYTES} bytes: not read further`]);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}
