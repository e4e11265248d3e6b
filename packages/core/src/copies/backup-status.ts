import type { BackupStatus, Catalog, CopyStatus } from '../catalog/catalog.js';
import { copyCounts } from './copy-state.js';

export type FinishedStatus = Exclude<BackupStatus, 'running'>;

/**
 * A backup's status from its copies: ok when every present copy is verified, degraded when some are, failed when
 * none is. Copies pruned on purpose (deleting, deleted) do not make a backup degraded; undefined when none is left.
 */
export function backupStatusOf(
  copies: readonly { readonly status: CopyStatus }[],
): FinishedStatus | undefined {
  const present = copies.filter((copy) => copyCounts(copy, 'present'));
  if (present.length === 0) return undefined;
  const verified = present.filter((copy) => copyCounts(copy, 'verified')).length;
  return verified === 0 ? 'failed' : verified === present.length ? 'ok' : 'degraded';
}

/** Records the backup's status from its copies as the catalog has them now (left as is when no copy is left). */
export async function refreshBackupStatus(
  session: { readonly catalog: Catalog },
  backupId: string,
): Promise<void> {
  const status = backupStatusOf(await session.catalog.listCopies(backupId));
  if (status !== undefined) await session.catalog.setBackupStatus(backupId, status);
}
