import type { Manifest } from '../manifest/manifest.js';

/** What the catalog stores: backups, their copies and verifications, and the locks jobs hold. */

export type BackupStatus = 'running' | 'ok' | 'degraded' | 'failed';
export type CopyStatus = 'pending' | 'verified' | 'failed' | 'deleting' | 'deleted';
export type VerificationLevel = 'backup' | 'stat' | 'deep' | 'restore-test' | 'drill';

export interface BackupRow {
  id: string;
  job: string;
  status: BackupStatus;
  startedAt: string;
  finishedAt: string | null;
  sourceType: string;
  format: string | null;
  compression: string | null;
  artifactKey: string | null;
  size: number | null;
  sha256: string | null;
  manifest: Manifest | null;
  error: string | null;
  flagged: string | null;
  confirmedAt: string | null;
  /** Set once prune has removed every copy of the backup. */
  prunedAt: string | null;
  /**
   * The backup's place in the catalog's own order: larger is recorded later. "Newest" means the largest seq, never
   * the latest startedAt, which a clock that jumps can put out of order.
   */
  seq: number;
}

/** A backup as `insertBackup` records it, running. */
export interface NewBackup {
  id: string;
  job: string;
  runId?: number;
  sourceType: string;
  startedAt: string;
  /** Its place in the order (an imported backup already known keeps its own); default: after every other. */
  seq?: number;
}

export interface CopyRow {
  backupId: string;
  destination: string;
  status: CopyStatus;
  key: string;
  location: string | null;
  size: number | null;
  sha256: string | null;
  attempts: number;
  error: string | null;
  updatedAt: string;
}

export interface VerificationRow {
  backupId: string;
  destination: string | null;
  level: VerificationLevel;
  status: string;
  expectedSize: number | null;
  expectedSha256: string | null;
  actualSize: number | null;
  actualSha256: string | null;
  detail: string | null;
  checkedAt: string;
}

/** What a job's lock is held for; a refusal names it. */
export type LockPurpose = 'backup' | 'prune' | 'verify' | 'repair' | 'forget' | 'archive';

export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  readonly token: string;
  /** Absent in lock files written before tricopy recorded it. */
  readonly purpose?: LockPurpose;
}

export interface JobLock {
  /** The lock file, or where else the lock is kept. */
  readonly path: string;
  /** Aborts when the lock is lost before release (its database connection broke): stop the run. */
  readonly lost?: AbortSignal;
  release(): Promise<void>;
}

export type LockAttempt =
  | { readonly acquired: true; readonly lock: JobLock; readonly tookOverFrom?: LockOwner }
  | {
      readonly acquired: false;
      readonly path: string;
      readonly holder?: LockOwner;
      readonly message: string;
    };

/** A row as a database driver returns it, keyed by column name. */
export type Row = Record<string, unknown>;
