import type { Manifest } from '../manifest/manifest.js';
import type {
  BackupRow,
  BackupStatus,
  CopyRow,
  CopyStatus,
  LockAttempt,
  LockPurpose,
  NewBackup,
  Row,
  VerificationRow,
} from './model.js';
import type { RecordTable } from './records.js';
import type { ReportPeriod, ReportRecords } from './report-records.js';
import type { StatusRecords } from './status-records.js';
import type { NewWalCopy, WalCopyRow, WalRange, WalSegmentRow } from './wal-model.js';

export type {
  BackupRow,
  BackupStatus,
  CopyRow,
  CopyStatus,
  NewBackup,
  VerificationLevel,
  VerificationRow,
} from './model.js';
export type {
  NewWalCopy,
  WalCopyRow,
  WalCopyStatus,
  WalFileKind,
  WalRange,
  WalSegmentRow,
} from './wal-model.js';

/** Per-job locks held in the catalog's database (see locks/job-lock.ts for the lock-file ones). */
export interface CatalogJobLocks {
  acquire(job: string, now: Date, purpose: LockPurpose): Promise<LockAttempt>;
  /**
   * Whether a backup of `job` started at `startedAt`, still marked running, has a live holder of the job's lock
   * behind it (false: nobody holds it, or it was taken after the backup started).
   */
  isAlive(job: string, startedAt: string): Promise<boolean>;
}

/** The fields of a backup that `finishBackup` records. */
export interface BackupResult {
  status: Exclude<BackupStatus, 'running'>;
  finishedAt: string;
  format?: string;
  compression?: string;
  artifactKey?: string;
  size?: number;
  sha256?: string;
  manifest?: Manifest;
  error?: string;
  flagged?: string;
}

/**
 * The record of runs, backups, copies and verifications. Everything in it can be rebuilt from manifests. Two
 * implementations: the embedded SQLite file (the default) and a shared PostgreSQL database (fleet mode).
 */
export interface Catalog {
  /**
   * Job locks kept by the catalog's database, shared by every machine using it (fleet mode). Absent (SQLite): lock
   * files beside the catalog.
   */
  readonly jobLocks?: CatalogJobLocks;
  /** The schema version (migrations applied). */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
  startRun(command: string): Promise<number>;
  finishRun(id: number, status: string): Promise<void>;
  insertBackup(backup: NewBackup): Promise<void>;
  finishBackup(id: string, result: BackupResult): Promise<void>;
  upsertCopy(copy: Omit<CopyRow, 'updatedAt'>): Promise<void>;
  setCopyStatus(backupId: string, destination: string, status: CopyStatus, error?: string): Promise<void>;
  recordVerification(v: Omit<VerificationRow, 'checkedAt'>): Promise<void>;
  /**
   * Marks the job's backups still recorded as running as failed with `error`, and returns their ids. Only for a
   * caller holding the job's lock: then no process is still writing them (theirs ended without finishing).
   * finished_at stays empty: when they stopped is not known.
   */
  failUnfinishedBackups(job: string, error: string): Promise<string[]>;
  setBackupStatus(id: string, status: Exclude<BackupStatus, 'running'>): Promise<void>;
  flagBackup(id: string, reason: string | null): Promise<void>;
  confirmBackup(id: string): Promise<void>;
  markPruned(id: string): Promise<void>;
  deleteBackup(id: string): Promise<void>;
  getBackup(id: string): Promise<BackupRow | undefined>;
  /** Newest (largest seq) first. */
  listBackups(filter?: { job?: string; statuses?: readonly BackupStatus[] }): Promise<BackupRow[]>;
  listCopies(backupId: string): Promise<CopyRow[]>;
  lastVerification(backupId: string): Promise<VerificationRow | undefined>;
  listVerifications(backupId: string): Promise<VerificationRow[]>;
  /**
   * What every job's status is computed from, in a fixed number of queries (metrics, serve); `destinations` are the
   * configured ones, the only ones whose verified copies count.
   */
  statusRecords(destinations: readonly string[]): Promise<StatusRecords>;
  /** The backups, copies and verifications of a period, for `tricopy report`, in a fixed number of queries. */
  reportRecords(period: ReportPeriod): Promise<ReportRecords>;
  /** The sizes of each job's `limit` newest ok or degraded backups that have one, pruned too, newest first. */
  sizeTrends(limit: number): Promise<{ job: string; size: number }[]>;
  /** Replaces what the catalog knows of one backup with what a manifest says (catalog rebuild). */
  importFromManifest(manifest: Manifest, copies: readonly Omit<CopyRow, 'updatedAt'>[]): Promise<void>;
  /** Inside `transaction`: no one else writes runs, backups, copies or verifications until it ends (catalog copy). */
  lockRecords(): Promise<void>;
  /** Rows of one table exactly as stored, in key order, `limit` of them after the first `offset` (catalog copy). */
  records(table: RecordTable, page: { offset: number; limit: number }): Promise<Row[]>;
  /**
   * Inserts rows as `records` returned them, ids included (catalog copy); the ids the catalog gives new rows
   * then continue after the largest. Rows that already exist are an error, never overwritten.
   */
  addRecords(table: RecordTable, rows: readonly Row[]): Promise<void>;
  /**
   * Records an archived WAL file, or replaces what was recorded of it (the same file stored again). When the stored
   * artifact's hash changed, the copies recorded of the old artifact are forgotten.
   */
  recordWalSegment(row: WalSegmentRow): Promise<void>;
  /** Records what is known of one copy of an archived WAL file (recorded first), replacing what was; stamped now. */
  recordWalCopy(copy: NewWalCopy): Promise<void>;
  /** The job's archived WAL files in archive order (by name: a timeline's history file before its segments). */
  walSegments(job: string, range?: WalRange): Promise<WalSegmentRow[]>;
  /** The copies of the job's archived WAL files, of `names` only when given; by name, then destination. */
  walCopies(job: string, names?: readonly string[]): Promise<WalCopyRow[]>;
  /** Forgets an archived WAL file and its copies (retention, after the copies are removed). */
  deleteWalSegment(job: string, name: string): Promise<void>;
  /** Records that `job` became stale; true only for the caller that started the episode (false: it already was). */
  startStaleEpisode(job: string): Promise<boolean>;
  /** Ends `job`'s stale episode; true when there was one. */
  endStaleEpisode(job: string): Promise<boolean>;
  /**
   * Runs `fn` in one transaction: everything it does through `tx` is applied together or not at all, and nothing
   * else done through this catalog interleaves with it. `fn` must use `tx`, not this catalog (that would wait for
   * the transaction to end: a deadlock).
   */
  transaction<T>(fn: (tx: Catalog) => Promise<T>): Promise<T>;
}
