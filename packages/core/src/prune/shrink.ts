import type { TableCount } from '@tricopy/contract';
import type { BackupRow } from '../catalog/catalog.js';
import { decryptionFor, unsealFacts } from '../readback/restore-decrypt.js';
import type { JobResult } from '../results/backup-result.js';
import type { Session } from '../session/session.js';
import { describeError } from '../util/errors.js';
import {
  anomalyLimits,
  type ComparedBackup,
  describeAnomalies,
  findAnomalies,
  previousComparable,
} from './anomaly-check.js';

/**
 * Flags a backup that is anomalous against the job's previous good backup (one not itself flagged and unconfirmed):
 * a table that lost more than `anomalies.tableShrink` of its rows or disappeared, a dump below `shrinkThreshold` of
 * the previous size (or `anomalies.sizeShrink` lost) or grown by more than `anomalies.sizeGrowth`. A flagged backup
 * blocks pruning of its job until someone runs `tricopy confirm`. Returns the reason when it flagged.
 */
export async function flagIfAnomalous(session: Session, result: JobResult): Promise<string | undefined> {
  if (result.status === 'failed' || result.size === undefined || result.backupId === '') return undefined;
  const good = await session.catalog.listBackups({ job: result.job, statuses: ['ok', 'degraded'] });
  const current = good.find((b) => b.id === result.backupId);
  if (current === undefined) return undefined;
  const previous = previousComparable(good, current);
  if (previous === undefined) return undefined;
  const anomalies = findAnomalies(
    await compared(session, current),
    await compared(session, previous),
    anomalyLimits(session.job(result.job)),
  );
  if (anomalies.length === 0) return undefined;
  const reason = describeAnomalies(anomalies);
  await session.catalog.flagBackup(result.backupId, reason);
  session.logger.warn(
    `job ${result.job}: backup ${result.backupId} is flagged: ${reason}; pruning of this job is blocked ` +
      `until you check it and run: tricopy confirm ${result.backupId}`,
  );
  return reason;
}

async function compared(session: Session, backup: BackupRow): Promise<ComparedBackup> {
  return {
    id: backup.id,
    size: backup.size ?? 0,
    compression: backup.compression ?? 'none',
    tables: await tablesOf(session, backup),
  };
}

/**
 * A backup's table counts: from its manifest, or for an encrypted backup from the manifest's sealed part when an
 * identity file is given (`--identity`, TRICOPY_IDENTITY_FILE); else unknown, and only sizes are compared.
 */
async function tablesOf(session: Session, backup: BackupRow): Promise<readonly TableCount[] | undefined> {
  if (backup.manifest?.encryption === undefined) return backup.manifest?.tables;
  if (session.identityFile === undefined) return undefined;
  try {
    const decryption = await decryptionFor(session, backup);
    return decryption === undefined ? undefined : (await unsealFacts(decryption, 'the catalog')).tables;
  } catch (error) {
    session.logger.warn(
      `job ${backup.job}: the table counts of backup ${backup.id} cannot be read, only sizes are compared: ${describeError(error)}`,
    );
    return undefined;
  }
}

/** Backups of a job that are flagged and not yet confirmed (and not pruned). */
export async function unconfirmedFlags(
  session: Session,
  job: string,
): Promise<{ id: string; reason: string }[]> {
  return (await session.catalog.listBackups({ job }))
    .filter((b) => b.flagged !== null && b.confirmedAt === null && b.prunedAt === null)
    .map((b) => ({ id: b.id, reason: b.flagged as string }));
}
