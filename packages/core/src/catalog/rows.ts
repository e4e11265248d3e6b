import type { Manifest } from '../manifest/manifest.js';
import type {
  BackupRow,
  BackupStatus,
  CopyRow,
  CopyStatus,
  Row,
  VerificationLevel,
  VerificationRow,
} from './model.js';

export function toBackup(row: Row): BackupRow {
  return {
    id: row.id as string,
    job: row.job as string,
    status: row.status as BackupStatus,
    startedAt: row.started_at as string,
    finishedAt: row.finished_at as string | null,
    sourceType: row.source_type as string,
    format: row.format as string | null,
    compression: row.compression as string | null,
    artifactKey: row.artifact_key as string | null,
    size: row.size as number | null,
    sha256: row.sha256 as string | null,
    manifest: row.manifest === null ? null : (JSON.parse(row.manifest as string) as Manifest),
    error: row.error as string | null,
    flagged: row.flagged as string | null,
    confirmedAt: row.confirmed_at as string | null,
    prunedAt: (row.pruned_at as string | null | undefined) ?? null,
    // PostgreSQL returns a BIGINT as a string.
    seq: Number(row.seq),
  };
}

export function toCopy(row: Row): CopyRow {
  return {
    backupId: row.backup_id as string,
    destination: row.destination as string,
    status: row.status as CopyStatus,
    key: row.key as string,
    location: row.location as string | null,
    size: row.size as number | null,
    sha256: row.sha256 as string | null,
    attempts: row.attempts as number,
    error: row.error as string | null,
    updatedAt: row.updated_at as string,
  };
}

export function toVerification(row: Row): VerificationRow {
  return {
    backupId: row.backup_id as string,
    destination: row.destination as string | null,
    level: row.level as VerificationLevel,
    status: row.status as string,
    expectedSize: row.expected_size as number | null,
    expectedSha256: row.expected_sha256 as string | null,
    actualSize: row.actual_size as number | null,
    actualSha256: row.actual_sha256 as string | null,
    detail: row.detail as string | null,
    checkedAt: row.checked_at as string,
  };
}

export type { Row } from './model.js';
