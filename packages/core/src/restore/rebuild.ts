import type { Destination } from '@tricopy/contract';
import type { CopyRow } from '../catalog/catalog.js';
import { checkStoredCopy } from '../copies/copy-check.js';
import { MANIFEST_NAME, type Manifest } from '../manifest/manifest.js';
import { readManifest } from '../manifest/manifest-read.js';
import type { Session } from '../session/session.js';
import { describeError } from '../util/errors.js';

export interface RebuildReport {
  readonly destination: string;
  readonly imported: readonly string[];
  readonly problems: readonly string[];
}

type Verdict = { readonly ok: true } | { readonly ok: false; readonly problem: string };
type NewCopy = Omit<CopyRow, 'updatedAt'>;

/**
 * Rebuilds the catalog from the manifests on one destination, trusting no manifest: each is checked against the
 * manifest schema (types, bounds, its job and backup id those of the folder it was found in, times consistent
 * with the id, its artifact a file of that folder), its artifact must match its size and the SHA-256 the store
 * keeps (where it keeps one), and a backup the catalog already holds with other content is a conflict, reported
 * and left alone. A manifest says nothing authoritative about other destinations: a copy it names elsewhere is
 * recorded only once checked there, under the backup's own key, and never over a row the catalog already has.
 */
export async function rebuildCatalog(session: Session, destinationName: string): Promise<RebuildReport> {
  const destination = await session.destination(destinationName);
  const imported: string[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const key of await manifestKeys(destination)) {
    try {
      const manifest = await readManifest(destination, key, destinationName, session.now());
      const verdict = await judgeManifest(session, destination, manifest, seen);
      seen.set(manifest.backupId, key);
      if (!verdict.ok) {
        problems.push(`${key}: ${verdict.problem}; not imported`);
        continue;
      }
      const here = copyRow(manifest, destinationName, destination);
      const others = await checkedOtherCopies(session, destinationName, manifest, problems);
      await importManifest(session, manifest, [here, ...others]);
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
  manifest: Manifest,
  seen: ReadonlyMap<string, string>,
): Promise<Verdict> {
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

/**
 * The copies the manifest names on other configured destinations that hold, under the backup's own key, an
 * object of the artifact's size and stored SHA-256 (where the store keeps one); each other one is a problem.
 */
async function checkedOtherCopies(
  session: Session,
  name: string,
  manifest: Manifest,
  problems: string[],
): Promise<NewCopy[]> {
  const rows: NewCopy[] = [];
  const others = new Set(manifest.copies.map((c) => c.destination));
  for (const other of [...others].sort()) {
    if (other === name || !session.config.destinations.has(other)) continue;
    const where = `backup ${manifest.backupId}: the copy its manifest names on ${other}`;
    try {
      const destination = await session.destination(other);
      const check = await checkStoredCopy(destination, manifest.artifact.key, manifest.artifact);
      if (check.ok) rows.push(copyRow(manifest, other, destination));
      else problems.push(`${where} does not match it (${check.message}): not recorded`);
    } catch (error) {
      problems.push(`${where} could not be checked: ${session.redact(describeError(error))}; not recorded`);
    }
  }
  return rows;
}

function copyRow(manifest: Manifest, name: string, destination: Destination): NewCopy {
  return {
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
}

/** The backup (unless the catalog has it) and each copy the catalog has no row for yet, in one transaction. */
async function importManifest(
  session: Session,
  manifest: Manifest,
  copies: readonly NewCopy[],
): Promise<void> {
  const [here, ...others] = copies as [NewCopy, ...NewCopy[]];
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
