export { type BackupRow, Catalog, type CopyRow, type VerificationRow } from './catalog/catalog.js';
export {
  type DestinationSpec,
  defaultConfigPath,
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
export { backupPrefix, MANIFEST_NAME, type Manifest, manifestKey, parseManifest } from './engine/manifest.js';
export { evaluatePolicy, jobPolicy, type PolicyStatus } from './engine/policy.js';
export { type RebuildReport, rebuildCatalog } from './engine/rebuild.js';
export { type RestoreResult, restoreBackup, restoreTestBackup } from './engine/restore.js';
export { type RunReport, runBackups, worstStatus } from './engine/run-backups.js';
export { type Selection, selectBackups, usableCopies } from './engine/select.js';
export { Session } from './engine/session.js';
export {
  type CopyVerification,
  type VerifyLevel,
  type VerifyReport,
  verifyBackups,
} from './engine/verify.js';
export { createHumanLogger, createJsonLogger, type LogLevel } from './logging.js';
export { HashCounter, hashStream } from './pipeline/hash-counter.js';
export { formatBytes, parseDuration } from './util/duration.js';
export { ConfigError, describeError, IntegrityError, PluginLoadError, UsageError } from './util/errors.js';
export { Redactor } from './util/redactor.js';
export { TRICOPY_VERSION } from './version.js';
