import type { BackupRow, BackupStatus, CopyRow, VerificationRow } from './model.js';
import { toBackup, toCopy, toVerification } from './rows.js';
import type { SqlConnection } from './sql-connection.js';

/**
 * What the status of every job is computed from (metrics, serve, the stale check), read in a fixed number of
 * set-based queries whatever the number of jobs and backups. Rows of jobs the config no longer has are included.
 */
export interface StatusRecords {
  /** Backups recorded per job and status. */
  readonly runs: readonly { job: string; status: BackupStatus; count: number }[];
  /** Each job's newest backup of any status: its last run. */
  readonly newestRun: readonly BackupRow[];
  /**
   * Checks that did not pass and were not passed since, over unpruned backups: the newest `stat` or `deep` check of
   * each copy and the newest restore test of each backup, when not ok.
   */
  readonly failedChecks: readonly (VerificationRow & { job: string })[];
  /** Each job's newest ok or degraded finished backup, pruned or not. */
  readonly newestGood: readonly BackupRow[];
  /** Each job's newest ok or degraded finished backup that is not pruned. */
  readonly newestLiveGood: readonly BackupRow[];
  /** The copies of the `newestLiveGood` backups, by backup then destination. */
  readonly newestLiveGoodCopies: readonly CopyRow[];
  /** Each job's newest unpruned good backup with a verified copy on one of the given destinations. */
  readonly newestVerified: readonly { job: string; finishedAt: string }[];
  /** Unpruned backups flagged (as anomalous) and not confirmed, newest first per job. */
  readonly flagged: readonly { job: string; backupId: string; reason: string }[];
  /** The newest passed verification per job and stored level, over unpruned backups. */
  readonly lastPassed: readonly { job: string; level: string; checkedAt: string }[];
}

const GOOD = `status IN ('ok', 'degraded') AND finished_at IS NOT NULL`;
const NEWEST_FIRST = 'ORDER BY seq DESC';

/** The newest backup per job among those `where` selects, as listBackups orders them. */
const newestPerJob = (where: string) =>
  `SELECT * FROM (SELECT backups.*, ROW_NUMBER() OVER (PARTITION BY job ${NEWEST_FIRST}) AS newest
   FROM backups WHERE ${where}) ranked WHERE newest = 1`;

const LIVE_GOOD = `${GOOD} AND pruned_at IS NULL`;

/** The newest check of each copy (a restore test: of each backup) is the one that counts; these did not pass. */
const FAILED_CHECKS = `SELECT backups.job, checks.* FROM verifications checks
  JOIN backups ON backups.id = checks.backup_id
  WHERE backups.pruned_at IS NULL AND checks.level <> 'backup' AND checks.status <> 'ok'
  AND checks.id = (SELECT MAX(later.id) FROM verifications later WHERE later.backup_id = checks.backup_id
    AND later.level = checks.level AND (checks.level = 'restore-test' OR later.destination = checks.destination))
  AND NOT EXISTS (SELECT 1 FROM copies WHERE copies.backup_id = checks.backup_id
    AND copies.destination = checks.destination AND copies.status IN ('deleting', 'deleted'))
  ORDER BY backups.job, checks.id DESC`;

export async function readStatusRecords(
  sql: SqlConnection,
  destinations: readonly string[],
): Promise<StatusRecords> {
  const runs = await sql.all('SELECT job, status, COUNT(*) AS count FROM backups GROUP BY job, status');
  const newestRun = await sql.all(newestPerJob('1 = 1'));
  const failedChecks = await sql.all(FAILED_CHECKS);
  const newestGood = await sql.all(newestPerJob(GOOD));
  const newestLiveGood = await sql.all(newestPerJob(LIVE_GOOD));
  const copies = await sql.all(
    `SELECT copies.* FROM copies JOIN (${newestPerJob(LIVE_GOOD)}) newest_live ON newest_live.id = copies.backup_id
     ORDER BY copies.backup_id, copies.destination`,
  );
  const newestVerified = await readNewestVerified(sql, destinations);
  const lastPassed = await sql.all(
    `SELECT backups.job, verifications.level, MAX(verifications.checked_at) AS checked_at
     FROM verifications JOIN backups ON backups.id = verifications.backup_id
     WHERE backups.pruned_at IS NULL AND verifications.status = 'ok'
     GROUP BY backups.job, verifications.level`,
  );
  const flagged = await sql.all(
    `SELECT job, id, flagged FROM backups
     WHERE flagged IS NOT NULL AND confirmed_at IS NULL AND pruned_at IS NULL ORDER BY job, seq DESC`,
  );
  return {
    runs: runs.map((r) => ({
      job: r.job as string,
      status: r.status as BackupStatus,
      count: Number(r.count),
    })),
    newestRun: newestRun.map(toBackup),
    failedChecks: failedChecks.map((r) => ({ ...toVerification(r), job: r.job as string })),
    newestGood: newestGood.map(toBackup),
    newestLiveGood: newestLiveGood.map(toBackup),
    newestLiveGoodCopies: copies.map(toCopy),
    newestVerified: newestVerified.map((r) => ({
      job: r.job as string,
      finishedAt: r.finished_at as string,
    })),
    flagged: flagged.map((r) => ({
      job: r.job as string,
      backupId: r.id as string,
      reason: r.flagged as string,
    })),
    lastPassed: lastPassed.map((r) => ({
      job: r.job as string,
      level: r.level as string,
      checkedAt: r.checked_at as string,
    })),
  };
}

function readNewestVerified(sql: SqlConnection, destinations: readonly string[]) {
  // An empty list matches nothing (IN () is not valid SQL everywhere).
  const onDestination = destinations.length
    ? `destination IN (${destinations.map(() => '?').join(', ')})`
    : '1 = 0';
  const verified = `EXISTS (SELECT 1 FROM copies WHERE copies.backup_id = backups.id AND copies.status = 'verified'
    AND ${onDestination})`;
  return sql.all(
    `SELECT job, finished_at FROM (${newestPerJob(`${LIVE_GOOD} AND ${verified}`)}) newest_verified`,
    destinations,
  );
}

/**
 * The sizes of each job's `limit` newest good backups that have one (pruned ones too: they are its history), newest
 * first, as listBackups orders them: the dashboard's size trends in one query.
 */
export async function readSizeTrends(
  sql: SqlConnection,
  limit: number,
): Promise<{ job: string; size: number }[]> {
  const rows = await sql.all(
    `SELECT job, size FROM (SELECT job, size, seq, ROW_NUMBER() OVER (PARTITION BY job ${NEWEST_FIRST}) AS
     newest FROM backups WHERE status IN ('ok', 'degraded') AND size IS NOT NULL) ranked WHERE newest <= ?
     ORDER BY job, seq DESC`,
    [limit],
  );
  return rows.map((r) => ({ job: r.job as string, size: Number(r.size) }));
}
