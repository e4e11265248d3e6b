import { text } from 'node:stream/consumers';
import { describeError } from '../util/errors.js';
import { MANIFEST_NAME, parseManifest } from './manifest.js';
import type { Session } from './session.js';

export interface RebuildReport {
  readonly destination: string;
  readonly imported: readonly string[];
  readonly problems: readonly string[];
}

/**
 * Rebuilds the catalog from the manifests on one destination. The copy on that destination is checked (stat) and
 * recorded as verified or failed; copies the manifest names on other destinations are recorded as pending until
 * `tricopy verify` checks them.
 */
export async function rebuildCatalog(session: Session, destinationName: string): Promise<RebuildReport> {
  const destination = await session.destination(destinationName);
  const imported: string[] = [];
  const problems: string[] = [];
  const manifestKeys: string[] = [];
  for await (const object of destination.list('')) {
    if (object.key.endsWith(`/${MANIFEST_NAME}`)) manifestKeys.push(object.key);
  }
  for (const key of manifestKeys.sort()) {
    try {
      const manifest = parseManifest(await text(await destination.get(key)), `${destinationName}:${key}`);
      const stat = await destination.stat(manifest.artifact.key);
      const here = stat !== undefined && stat.size === manifest.artifact.size;
      const others = manifest.copies.filter(
        (c) => c.destination !== destinationName && session.config.destinations.has(c.destination),
      );
      session.catalog.importFromManifest(manifest, [
        {
          backupId: manifest.backupId,
          destination: destinationName,
          status: here ? 'verified' : 'failed',
          key: manifest.artifact.key,
          location: destination.locate(manifest.artifact.key),
          size: stat?.size ?? null,
          sha256: stat?.sha256 ?? null,
          attempts: 0,
          error: here ? null : stat === undefined ? 'artifact missing' : `artifact has ${stat.size} bytes`,
        },
        ...others.map((c) => ({
          backupId: manifest.backupId,
          destination: c.destination,
          status: 'pending' as const,
          key: c.key,
          location: null,
          size: null,
          sha256: null,
          attempts: 0,
          error: 'recorded from a manifest; not checked since the rebuild',
        })),
      ]);
      if (!here)
        problems.push(
          `${manifest.backupId}: the artifact on ${destinationName} is missing or has the wrong size`,
        );
      imported.push(manifest.backupId);
    } catch (error) {
      problems.push(`${key}: ${describeError(error)}`);
    }
  }
  return { destination: destinationName, imported, problems };
}
