import type { Catalog } from '../catalog/catalog.js';
import { type BaseBackup, baseBackupsOf, oldestBase } from './base-backup.js';
import { type ChainCopy, type ChainFile, type WalContinuity, walContinuity } from './wal-chain.js';

/** A stored WAL file as the catalog records it: the chain facts, and its stored artifact. */
export interface StoredWalFile extends ChainFile {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
}

export type WalCopyStatus = 'verified' | 'failed' | 'missing' | 'deleted';

/** The catalog's WAL records, as the stages read and write them (the Catalog has these methods). */
export interface WalCatalog {
  walSegments(job: string): Promise<readonly StoredWalFile[]>;
  walCopies(job: string): Promise<readonly ChainCopy[]>;
  recordWalCopy(row: {
    job: string;
    name: string;
    destination: string;
    status: WalCopyStatus;
    checkedAt: string;
    error?: string;
  }): Promise<void>;
  deleteWalSegment(job: string, name: string): Promise<void>;
}

/** The catalog's WAL records. */
export function walCatalog(catalog: Catalog): WalCatalog {
  // PRE-MERGE: the WAL catalog API lands from the wal branch; then this is `return catalog`.
  return catalog as unknown as WalCatalog;
}

/** A job's stored WAL files and their copies. */
export async function jobWal(
  catalog: Catalog,
  job: string,
): Promise<{ files: readonly StoredWalFile[]; copies: readonly ChainCopy[] }> {
  const records = walCatalog(catalog);
  const [files, copies] = await Promise.all([records.walSegments(job), records.walCopies(job)]);
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
