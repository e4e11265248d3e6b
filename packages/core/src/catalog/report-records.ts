import type { BackupRow, CopyRow, VerificationRow } from './model.js';
import { toBackup, toCopy, toVerification } from './rows.js';
import type { SqlConnection } from './sql-connection.js';

/** Which records a report covers: everything from `since` (an ISO time) on, of the given jobs (default: all). */
export interface ReportPeriod {
  readonly since: string;
  readonly jobs?: readonly string[];
}

/** What `tricopy report` is built from, read in a fixed number of queries whatever the size of the catalog. */
export interface ReportRecords {
  /** Backups started in the period, by job, oldest first (in the catalog's own order). */
  readonly backups: readonly BackupRow[];
  /** The copies of those backups, by backup then destination. */
  readonly copies: readonly CopyRow[];
  /** Verifications of any level checked in the period (of backups of any age), by job, oldest first. */
  readonly verifications: readonly (VerificationRow & { job: string })[];
}

export async function readReportRecords(sql: SqlConnection, period: ReportPeriod): Promise<ReportRecords> {
  const jobs = period.jobs ?? [];
  // An empty list means every job (IN () is not valid SQL everywhere).
  const ofJobs = jobs.length ? `backups.job IN (${jobs.map(() => '?').join(', ')})` : '1 = 1';
  const inPeriod = `backups.started_at >= ? AND ${ofJobs}`;
  const backups = await sql.all(`SELECT * FROM backups WHERE ${inPeriod} ORDER BY job, seq`, [
    period.since,
    ...jobs,
  ]);
  const copies = await sql.all(
    `SELECT copies.* FROM copies JOIN backups ON backups.id = copies.backup_id WHERE ${inPeriod}
     ORDER BY copies.backup_id, copies.destination`,
    [period.since, ...jobs],
  );
  const verifications = await sql.all(
    `SELECT backups.job, verifications.* FROM verifications JOIN backups ON backups.id = verifications.backup_id
     WHERE verifications.checked_at >= ? AND ${ofJobs} ORDER BY backups.job, verifications.id`,
    [period.since, ...jobs],
  );
  return {
    backups: backups.map(toBackup),
    copies: copies.map(toCopy),
    verifications: verifications.map((r) => ({ ...toVerification(r), job: r.job as string })),
  };
}
