export type {
  BackupRow,
  Catalog,
  CatalogJobLocks,
  VerificationRow,
  WalCopyRow,
  WalSegmentRow,
} from './catalog/catalog.js';
export { type CatalogCopyReport, copyCatalog } from './catalog/copy.js';
export { type CatalogOpener, openCatalog, registerPostgresCatalog } from './catalog/open.js';
export { RECORD_TABLE_ORDER, type SqlDialect } from './catalog/records.js';
export type { Row } from './catalog/rows.js';
export { SqlCatalog } from './catalog/sql-catalog.js';
export type { SqlConnection, SqlDatabase } from './catalog/sql-connection.js';
export { openExistingSqliteCatalog, openSqliteCatalog } from './catalog/sqlite-catalog.js';
export { isDatabaseUrl } from './config/catalog-location.js';
export {
  defaultConfigPath,
  type JobSpec,
  type LoadedConfig,
  loadConfig,
  parseConfig,
} from './config/load.js';
export type { Policy } from './config/schema.js';
export { backupPolicy } from './copies/policy.js';
export { parseRecoveryTime, type RecoveryTarget } from './copies/recovery-target.js';
export { continuityProblems, type WalContinuity } from './copies/wal-chain.js';
export {
  backupIsAlive,
  type LockAttempt,
  type LockPurpose,
  lockHeldMessage,
  lockPurposeOf,
} from './locks/job-lock.js';
export { createHumanLogger, createJsonLogger, type LogLevel } from './logging.js';
export type { Manifest } from './manifest/manifest.js';
export type { PluginTable } from './plugins/builtins.js';
export { type ForgetReport, forgetBackup } from './prune/forget.js';
export { type PruneOptions, type PruneReport, pruneBackups, removedJobs } from './prune/prune.js';
export { configWithRemovedJob } from './prune/removed-job.js';
export { selectBackups } from './readback/select.js';
export { type RepairReport, repairBackups } from './repair/repair.js';
export { type PointInTimeResult, restoreToPoint } from './restore/point-in-time.js';
export { rebuildCatalog } from './restore/rebuild.js';
export { restoreBackup } from './restore/restore.js';
export type { BackupEvents, JobResult } from './results/backup-result.js';
export { type DaemonControl, type DaemonOptions, runDaemon } from './schedule/daemon.js';
export { drillJob } from './schedule/drill.js';
export { RotationJobs, runRotationTick } from './schedule/rotation-run.js';
export { type RunReport, runBackups } from './schedule/run-backups.js';
export { alertStaleJobs } from './schedule/stale-alerts.js';
export { type AppliedRead, Session, type SessionOptions, type StageSeam } from './session/session.js';
export {
  fleetStatus,
  formatAge,
  type JobStatus,
  jobStatus,
  shownLevel,
  staleReason,
  walStaleReason,
} from './status/fleet-status.js';
export { checkReason, type FailedCheck, type LastRun } from './status/job-attention.js';
export { METRICS_CONTENT_TYPE, renderMetrics, writeTextfile } from './status/metrics.js';
export {
  buildReport,
  type Report,
  type ReportBackup,
  type ReportCheck,
  type ReportDrill,
  type ReportJob,
} from './status/report.js';
export { cronToOnCalendar, validateCron } from './util/cron.js';
export { formatBytes } from './util/duration.js';
export { ConfigError, describeError, UsageError } from './util/errors.js';
export { Redactor } from './util/redactor.js';
export { terminalSafe } from './util/terminal-safe.js';
export { type CheckReport, checkConfig } from './verify/check.js';
export { type VerifyLevel, type VerifyReport, verifyBackups } from './verify/verify.js';
export { verifyWal, type WalVerification } from './verify/verify-wal.js';
export { TRICOPY_VERSION } from './version.js';
export { fetchWalFile } from './wal/wal-fetch.js';
export { keepArchivingWal } from './wal/wal-keep.js';
export { caughtUpLine, storedLine } from './wal/wal-lines.js';
