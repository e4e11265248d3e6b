import type { Catalog, WalCopyRow, WalSegmentRow } from '../catalog/catalog.js';
import { type BaseBackup, baseBackupsOf, oldestBase } from './base-backup.js';
import { type WalContinuity, walContinuity } from './wal-chain.js';

/** A job's stored WAL files (archive order) and their copies. */
export async function jobWal(
  catalog: Catalog,
  job: string,
): Promise<{ files: readonly WalSegmentRow[]; copies: readonly WalCopyRow[] }> {
  const [files, copies] = await Promise.all([catalog.walSegments(job), catalog.walCopies(job)]);
  return { files, copies };
}

/** The job's base backups PITR can start from, from the catalog. */
export async function jobBases(catalog: Catalog, job: string): Promise<BaseBackup[]> {
  return baseBackupsOf(await catalog.listBackups({ job, statuses: ['ok', 'degraded'] }));
}

/**
 * The job's WAL continuity from its oldest base backup's start on (check, verify); undefined for a job with no base
 * backup (a dump job).
 */
export async function jobContinuity(
  catalog: Catalog,
  job: string,
  destinations: readonly string[],
): Promise<WalContinuity | undefined> {
  const oldest = oldestBase(await jobBases(catalog, job));
  if (oldest === undefined) return undefined;
  const { files, copies } = await jobWal(catalog, job);
  return walContinuity(files, copies, destinations, oldest.startWal);
}
