export type {
  BackupResult,
  BackupRow,
  BackupStatus,
  Catalog,
  CatalogJobLocks,
  CopyRow,
  CopyStatus,
  VerificationLevel,
  VerificationRow,
} from './catalog/catalog.js';
export { type CatalogCopyReport, copyCatalog, type RecordCounts } from './catalog/copy.js';
export { type CatalogOpener, isDatabaseUrl, openCatalog, registerPostgresCatalog } from './catalog/open.js';
export { RECORD_TABLE_ORDER, type RecordTable, type SqlDialect } from './catalog/records.js';
export type { Row } from './catalog/rows.js';
export { SqlCatalog } from './catalog/sql-catalog.js';
export type { SqlConnection, SqlDatabase } from './catalog/sql-connection.js';
export { openExistingSqliteCatalog, openSqliteCatalog } from './catalog/sqlite-catalog.js';
export type { StatusRecords } from './catalog/status-records.js';
export {
  type DestinationSpec,
  defaultConfigPath,
  type FleetSettings,
  type JobSpec,
  type LoadedConfig,
  loadConfig,
  parseConfig,
} from './config/load.js';
export type { Compression, NotifyTarget, Policy, Retention } from './config/schema.js';
export {
  type BackupEvents,
  backupJob,
  type CopyResult,
  type JobResult,
  type RunStatus,
} from './engine/backup.js';
export { type CheckReport, checkConfig } from './engine/check.js';
export { backupPrefix, MANIFEST_NAME, type Manifest, manifestKey } from './engine/manifest.js';
export {
  InvalidManifestError,
  MANIFEST_MAX_BYTES,
  parseManifest,
  readManifest,
} from './engine/manifest-read.js';
export { evaluatePolicy, jobPolicy, type PolicyStatus } from './engine/policy.js';
export { type RebuildReport, rebuildCatalog } from './engine/rebuild.js';
export { type RestoreResult, restoreBackup, restoreTestBackup } from './engine/restore.js';
export { type RunOptions, type RunReport, runBackups, worstStatus } from './engine/run-backups.js';
export { type Selection, selectBackups, usableCopies } from './engine/select.js';
export { type AppliedRead, Session, type SessionOptions, type StageSeam } from './engine/session.js';
export {
  type CopyVerification,
  type VerifyLevel,
  type VerifyReport,
  verifyBackups,
} from './engine/verify.js';
export { createHumanLogger, createJsonLogger, type LogLevel } from './logging.js';
export { type DaemonControl, type DaemonOptions, runDaemon } from './ops/daemon.js';
export {
  fleetStatus,
  formatAge,
  type JobStatus,
  jobStatus,
  type LastBackup,
  type Staleness,
  shownLevel,
  staleReason,
  VERIFIED_LEVELS,
} from './ops/fleet-status.js';
export { type ForgetOptions, type ForgetReport, forgetBackup } from './ops/forget.js';
export { checkReason, type FailedCheck, type LastRun, type RunOutcome } from './ops/job-attention.js';
export {
  acquireJobLock,
  backupIsAlive,
  type JobLock,
  type LockAttempt,
  type LockPurpose,
  lockHeldMessage,
  lockPath,
  lockPurposeOf,
  runningBackupIsAlive,
  takeJobLock,
} from './ops/job-lock.js';
export { METRICS_CONTENT_TYPE, renderMetrics, writeTextfile } from './ops/metrics.js';
export {
  eventOf,
  healthcheckUrl,
  type NotifyEvent,
  notificationPayload,
  notifyResult,
  notifyStart,
} from './ops/notify.js';
export {
  type DestinationPrune,
  type JobPrune,
  type PrunedCopy,
  type PruneOptions,
  type PruneReport,
  pruneBackups,
  removedJobs,
} from './ops/prune.js';
export { configWithRemovedJob } from './ops/removed-job.js';
export {
  type BackupRepair,
  type CopyRepair,
  type CopyRepairStatus,
  type RepairOptions,
  type RepairReport,
  repairBackups,
} from './ops/repair.js';
export {
  applyRetention,
  hasKeepRules,
  type KeepReason,
  type KeepRules,
  type RetentionDecision,
  type Snapshot,
} from './ops/retention.js';
export { RotationJobs, type RotationTickOptions, runRotationTick } from './ops/rotation-run.js';
export { cronToOnCalendar, nextRuns, validateCron } from './ops/schedule.js';
export { flagIfShrunk, unconfirmedFlags } from './ops/shrink.js';
export { alertStaleJobs } from './ops/stale-alerts.js';
export { HashCounter, hashStream } from './pipeline/hash-counter.js';
export { zstdAvailable, zstdImplementation } from './pipeline/zstd.js';
export { NO_BUILTIN_PLUGINS, type PluginTable } from './plugins/builtins.js';
export { formatBytes, parseDuration } from './util/duration.js';
export { ConfigError, describeError, IntegrityError, PluginLoadError, UsageError } from './util/errors.js';
export { Redactor } from './util/redactor.js';
export { terminalSafe } from './util/terminal-safe.js';
export { TRICOPY_VERSION } from './version.js';
