import { backupPrefix, MANIFEST_NAME } from './manifest.js';

/** One file name inside the backup's folder: what `JOB.EXTENSION[.gz|.zst][.age]` gives, never a path. */
export const ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Whether `key` is an artifact in the backup's own folder, `JOB/BACKUP-ID/NAME`: the only keys tricopy reads,
 * checks or deletes for that backup, whatever a manifest or an old catalog row says.
 */
export function isOwnArtifactKey(job: string, backupId: string, key: string): boolean {
  const folder = backupPrefix(job, backupId);
  const name = key.slice(folder.length);
  return key.startsWith(folder) && ARTIFACT_NAME.test(name) && name !== MANIFEST_NAME;
}

/** Why a copy's recorded key is refused (another backup's, or outside its folder); undefined when it is its own. */
export function foreignKeyProblem(backup: { job: string; id: string }, key: string): string | undefined {
  if (isOwnArtifactKey(backup.job, backup.id, key)) return undefined;
  const shown = JSON.stringify(key.length > 120 ? `${key.slice(0, 120)}…` : key);
  return `the catalog records key ${shown}, which is not in the backup's own folder ${backupPrefix(backup.job, backup.id)}: left alone`;
}

/** Where an archived WAL file is stored on every destination: `JOB/wal/NAME[.gz|.zst][.age]`. */
export function walKey(job: string, name: string, suffix: string): string {
  return `${job}/wal/${name}${suffix}`;
}
