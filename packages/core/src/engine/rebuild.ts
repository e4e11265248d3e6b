import { text } from 'node:stream/consumers';
import type { Destination } from '@tricopy/contract';
import type { CopyRow } from '../catalog/catalog.js';
import { describeError } from '../util/errors.js';
import { checkStoredCopy } from './copy-check.js';
import { backupPrefix, MANIFEST_NAME, type Manifest, parseManifest } from './manifest.js';
import type { Session } from './session.js';

export interface RebuildReport {
  readonly destination: string;
  readonly imported: readonly string[];
  readonly problems: readonly string[];
}

type Verdict = { readonly ok: true } | { readonly ok: false; readonly problem: string };

/**
 * Rebuilds the catalog from the manifests on one destination, trusting no manifest about itself: its job and
 * backup id must match the folder it was found in, its artifact must be in that folder and match its size and the
 * SHA-256 the store keeps (where it keeps one), and a backup the catalog already holds with other content is a
 * conflict, reported and left alone. Copies the manifest names on other destinations are recorded as pending
 * (never over a row the catalog already has) until `tricopy verify` checks them.
 */
export async function rebuildCatalog(session: Session, destinationName: string): Promise<RebuildReport> {
  const destination = await session.destination(destinationName);
  const imported: string[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const key of await manifestKeys(destination)) {
    try {
      const manifest = parseManifest(await text(await destination.get(key)), `${destinationName}:${key}`);
      const verdict = await judgeManifest(session, destination, key, manifest, seen);
      seen.set(manifest.backupId, key);
      if (!verdict.ok) {
        problems.push(`${key}: ${verdict.problem}; not imported`);
        continue;
      }
      await importManifest(session, destinationName, destination, manifest);
      imported.push(manifest.backupId);
    } catch (error) {
      problems.push(`${key}: ${session.redact(describeError(error))}`);
    }
  }
  return { destination: destinationName, imported, problems };
}

async function manifestKeys(destination: Destination): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of destination.list('')) {
    if (object.key.endsWith(`/${MANIFEST_NAME}`)) keys.push(object.key);
  }
  return keys.sort();
}

async function judgeManifest(
  session: Session,
  destination: Destination,
  key: string,
  manifest: Manifest,
  seen: ReadonlyMap<string, string>,
): Promise<Verdict> {
  const folder = key.slice(0, -MANIFEST_NAME.length);
  if (backupPrefix(manifest.job, manifest.backupId) !== folder) {
    return fail(
      `it says job ${manifest.job}, backup ${manifest.backupId}, but was found in ${folder} (conflict)`,
    );
  }
  if (!manifest.artifact.key.startsWith(folder) || manifest.artifact.key.slice(folder.length).includes('/')) {
    return fail(`its artifact key ${manifest.artifact.key} is not in its own folder ${folder} (conflict)`);
  }
  const twin = seen.get(manifest.backupId);
  if (twin !== undefined) return fail(`duplicate: backup ${manifest.backupId} is also described by ${twin}`);
  const known = await session.catalog.getBackup(manifest.backupId);
  if (known !== undefined && !sameBackup(known, manifest)) {
    return fail(
      `conflict: the catalog already holds backup ${manifest.backupId} of job ${known.job} with ${known.size} bytes sha256 ${known.sha256}`,
    );
  }
  const check = await checkStoredCopy(destination, manifest.artifact.key, manifest.artifact);
  if (!check.ok) return fail(`its artifact does not match it: ${check.message}`);
  return { ok: true };
}

function sameBackup(
  known: { job: string; size: number | null; sha256: string | null; artifactKey: string | null },
  manifest: Manifest,
): boolean {
  return (
    known.job === manifest.job &&
    known.size === manifest.artifact.size &&
    known.sha256 === manifest.artifact.sha256 &&
    (known.artifactKey === null || known.artifactKey === manifest.artifact.key)
  );
}

async function importManifest(
  session: Session,
  name: string,
  destination: Destination,
  manifest: Manifest,
): Promise<void> {
  const here: Omit<CopyRow, 'updatedAt'> = {
    backupId: manifest.backupId,
    destination: name,
    status: 'verified',
    key: manifest.artifact.key,
    location: destination.locate(manifest.artifact.key),
    size: manifest.artifact.size,
    sha256: manifest.artifact.sha256,
    attempts: 0,
    error: null,
  };
  const others = manifest.copies
    .filter((c) => c.destination !== name && session.config.destinations.has(c.destination))
    .map((c) => ({
      backupId: manifest.backupId,
      destination: c.destination,
      status: 'pending' as const,
      key: c.key,
      location: null,
      size: null,
      sha256: null,
      attempts: 0,
      error: 'recorded from a manifest; not checked since the rebuild',
    }));
  await session.catalog.transaction(async (tx) => {
    if ((await tx.getBackup(manifest.backupId)) === undefined) await tx.importFromManifest(manifest, []);
    const existing = new Set((await tx.listCopies(manifest.backupId)).map((c) => c.destination));
    await tx.upsertCopy(here);
    for (const other of others) if (!existing.has(other.destination)) await tx.upsertCopy(other);
  });
}

function fail(problem: string): Verdict {
  return { ok: false, problem };
}
