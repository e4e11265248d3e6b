import { Counter, Gauge, Registry } from 'prom-client';
import { type JobStatus, RUN_STATUSES, VERIFIED_LEVELS } from './fleet-status.js';

const seconds = (iso: string) => Date.parse(iso) / 1000;

/**
 * The Prometheus registry for a fleet's status, built afresh for each scrape from the catalog. A series whose value
 * is not known (a job that never succeeded has no last-success time) is left out rather than reported as 0.
 */
export function metricsRegistry(jobs: readonly JobStatus[]): Registry {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = ['job']) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const lastSuccess = gauge(
    'tricopy_backup_last_success_timestamp_seconds',
    'When the newest ok or degraded backup of the job finished (Unix time)',
  );
  const lastVerified = gauge(
    'tricopy_backup_last_verified_timestamp_seconds',
    'When a copy of the job last passed verification at this level: exists, deep or restore-test (Unix time)',
    ['job', 'level'],
  );
  const size = gauge('tricopy_backup_size_bytes', 'Size of the newest good backup of the job (bytes)');
  const duration = gauge(
    'tricopy_backup_duration_seconds',
    'How long the newest good backup of the job took',
  );
  const verified = gauge('tricopy_copies_verified', 'Verified copies of the newest good backup of the job');
  const policyMet = gauge(
    'tricopy_policy_met',
    '1 when the newest good backup of the job meets the 3-2-1 policy',
  );
  const stale = gauge(
    'tricopy_backup_stale',
    '1 when the newest backup of the job with a verified copy is older than its maxAge (or there is none)',
  );
  const flagged = gauge(
    'tricopy_backup_flagged',
    'Backups of the job flagged as anomalous (rows lost, a table gone, size shrunk or grown) and not confirmed',
  );
  const recoveryWindow = gauge(
    'tricopy_recovery_window_seconds',
    'Point-in-time recovery: seconds from the oldest base backup to the newest moment continuous WAL reaches',
  );
  const walLastStored = gauge(
    'tricopy_wal_last_stored_timestamp_seconds',
    'When the newest WAL file of the job was stored on its destinations (Unix time)',
  );
  const walStale = gauge(
    'tricopy_wal_stale',
    '1 when the job archives WAL and none arrived for longer than 2 × wal.switchAfter (default 1 hour)',
  );
  const runs = new Counter({
    name: 'tricopy_runs_total',
    help: 'Backups of the job recorded in the catalog, by status',
    labelNames: ['job', 'status'],
    registers: [registry],
  });
  for (const status of jobs) {
    const job = { job: status.job };
    if (status.lastSuccessAt !== null) lastSuccess.set(job, seconds(status.lastSuccessAt));
    for (const level of VERIFIED_LEVELS) {
      const at = status.lastVerified[level];
      if (at !== null) lastVerified.set({ ...job, level }, seconds(at));
    }
    const last = status.lastBackup;
    if (last !== null) {
      if (last.size !== null) size.set(job, last.size);
      duration.set(job, last.durationSeconds);
      verified.set(job, last.copiesVerified);
    }
    policyMet.set(job, last?.policyMet ? 1 : 0);
    stale.set(job, status.staleness.stale ? 1 : 0);
    flagged.set(job, status.flagged.length);
    if (status.wal !== null) {
      if (status.wal.windowSeconds !== null) recoveryWindow.set(job, status.wal.windowSeconds);
      if (status.wal.lastStoredAt !== null) walLastStored.set(job, seconds(status.wal.lastStoredAt));
      if (status.wal.staleAfterMs !== null) walStale.set(job, status.wal.stale ? 1 : 0);
    }
    for (const s of RUN_STATUSES) runs.inc({ ...job, status: s }, status.runs[s]);
  }
  return registry;
}
