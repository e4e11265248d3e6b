export { backupJob } from './backup/backup.js';
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
export { type CatalogOpener, openCatalog, registerPostgresCatalog } from './catalog/open.js';
export { RECORD_TABLE_ORDER, type RecordTable, type SqlDialect } from './catalog/records.js';
export type { Row } from './catalog/rows.js';
export { SqlCatalog } from './catalog/sql-catalog.js';
export type { SqlConnection, SqlDatabase } from './catalog/sql-connection.js';
export { openExistingSqliteCatalog, openSqliteCatalog } from './catalog/sqlite-catalog.js';
export type { StatusRecords } from './catalog/status-records.js';
export { isDatabaseUrl } from './config/catalog-location.js';
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
export { backupPolicy, jobPolicy, type PolicyStatus } from './copies/policy.js';
export {
  applyRetention,
  hasKeepRules,
  type KeepReason,
  type KeepRules,
  type RetentionDecision,
  type Snapshot,
} from './copies/retention.js';
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
} from './locks/job-lock.js';
export { createHumanLogger, createJsonLogger, type LogLevel } from './logging.js';
export { backupPrefix, MANIFEST_NAME, type Manifest, manifestKey } from './manifest/manifest.js';
export {
  InvalidManifestError,
  MANIFEST_MAX_BYTES,
  parseManifest,
  readManifest,
} from './manifest/manifest-read.js';
export {
  eventOf,
  healthcheckUrl,
  type NotifyEvent,
  notificationPayload,
  notifyResult,
  notifyStart,
} from './notify/notify.js';
export { HashCounter, hashStream } from './pipeline/hash-counter.js';
export { zstdAvailable, zstdImplementation } from './pipeline/zstd.js';
export { NO_BUILTIN_PLUGINS, type PluginTable } from './plugins/builtins.js';
export { type ForgetOptions, type ForgetReport, forgetBackup } from './prune/forget.js';
export {
  type DestinationPrune,
  type JobPrune,
  type PrunedCopy,
  type PruneOptions,
  type PruneReport,
  pruneBackups,
  removedJobs,
} from './prune/prune.js';
export { configWithRemovedJob } from './prune/removed-job.js';
export { flagIfShrunk, unconfirmedFlags } from './prune/shrink.js';
export { type Selection, selectBackups, usableCopies } from './readback/select.js';
export {
  type BackupRepair,
  type CopyRepair,
  type CopyRepairStatus,
  type RepairOptions,
  type RepairReport,
  repairBackups,
} from './repair/repair.js';
export { type RebuildReport, rebuildCatalog } from './restore/rebuild.js';
export { type RestoreResult, restoreBackup } from './restore/restore.js';
export type { BackupEvents, CopyResult, JobResult, RunStatus } from './results/backup-result.js';
export { type DaemonControl, type DaemonOptions, runDaemon } from './schedule/daemon.js';
export { RotationJobs, type RotationTickOptions, runRotationTick } from './schedule/rotation-run.js';
export { type RunOptions, type RunReport, runBackups, worstStatus } from './schedule/run-backups.js';
export { alertStaleJobs } from './schedule/stale-alerts.js';
export { type AppliedRead, Session, type SessionOptions, type StageSeam } from './session/session.js';
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
} from './status/fleet-status.js';
export { checkReason, type FailedCheck, type LastRun, type RunOutcome } from './status/job-attention.js';
export { METRICS_CONTENT_TYPE, renderMetrics, writeTextfile } from './status/metrics.js';
export { cronToOnCalendar, nextRuns, validateCron } from './util/cron.js';
export { formatBytes, parseDuration } from './util/duration.js';
export { ConfigError, describeError, IntegrityError, PluginLoadError, UsageError } from './util/errors.js';
export { Redactor } from './util/redactor.js';
export { terminalSafe } from './util/terminal-safe.js';
export { type CheckReport, checkConfig } from './verify/check.js';
export { restoreTestBackup } from './verify/restore-test.js';
export {
  type CopyVerification,
  type VerifyLevel,
  type VerifyReport,
  verifyBackups,
} from './verify/verify.js';
export { TRICOPY_VERSION } from './version.js';
