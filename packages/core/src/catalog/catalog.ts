import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Manifest } from '../engine/manifest.js';
import { IntegrityError } from '../util/errors.js';
import { MIGRATIONS } from './migrations.js';

export type BackupStatus = 'running' | 'ok' | 'degraded' | 'failed';
export type CopyStatus = 'pending' | 'verified' | 'failed' | 'deleting' | 'deleted';
export type VerificationLevel = 'backup' | 'stat' | 'deep' | 'restore-test';

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

type Row = Record<string, unknown>;

const REBUILD_HINT =
  'move it aside and run `tricopy catalog rebuild --from DESTINATION` (every destination holds the manifests)';

/** A 0-byte catalog is a truncated one, not a new one: starting afresh would silently forget every backup. */
function refuseEmptyCatalog(path: string): void {
  const size = (file: string) => (existsSync(file) ? statSync(file).size : undefined);
  if (size(path) === 0 && !size(`${path}-wal`)) {
    throw new IntegrityError(
      `the catalog ${path} is empty (0 bytes), so it lost its records: ${REBUILD_HINT}`,
    );
  }
}

/** SQLite's "not a database" and "malformed" errors, as a line that names the file and what to do. */
export function damagedCatalogError(path: string, error: unknown): IntegrityError | undefined {
  const code = String((error as { code?: unknown }).code ?? '');
  if (code !== 'SQLITE_NOTADB' && !code.startsWith('SQLITE_CORRUPT')) return undefined;
  return new IntegrityError(`the catalog ${path} is damaged (${(error as Error).message}): ${REBUILD_HINT}`);
}

/** The local record of runs, backups, copies and verifications. Everything in it can be rebuilt from manifests. */
export class Catalog {
  readonly #db: Database.Database;
  readonly #now: () => Date;

  constructor(path: string, now: () => Date = () => new Date()) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    refuseEmptyCatalog(path);
    this.#db = new Database(path);
    this.#now = now;
    try {
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('foreign_keys = ON');
      this.#db.pragma('busy_timeout = 10000');
      this.#migrate();
    } catch (error) {
      this.#db.close();
      throw damagedCatalogError(path, error) ?? error;
    }
  }

  get schemaVersion(): number {
    return this.#db.pragma('user_version', { simple: true }) as number;
  }

  close(): void {
    this.#db.close();
  }

  #migrate(): void {
    const current = this.schemaVersion;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `the catalog was written by a newer tricopy (schema ${current}, this one knows ${MIGRATIONS.length}); upgrade tricopy`,
      );
    }
    for (let version = current; version < MIGRATIONS.length; version++) {
      this.#db.transaction(() => {
        this.#db.exec(MIGRATIONS[version] as string);
        this.#db.pragma(`user_version = ${version + 1}`);
      })();
    }
  }

  #stamp(): string {
    return this.#now().toISOString();
  }

  startRun(command: string): number {
    const info = this.#db
      .prepare('INSERT INTO runs (command, started_at) VALUES (?, ?)')
      .run(command, this.#stamp());
    return Number(info.lastInsertRowid);
  }

  finishRun(id: number, status: string): void {
    this.#db
      .prepare('UPDATE runs SET finished_at = ?, status = ? WHERE id = ?')
      .run(this.#stamp(), status, id);
  }

  insertBackup(backup: {
    id: string;
    job: string;
    runId?: number;
    sourceType: string;
    startedAt: string;
  }): void {
    this.#db
      .prepare(
        `INSERT INTO backups (id, job, run_id, status, started_at, source_type) VALUES (?, ?, ?, 'running', ?, ?)`,
      )
      .run(backup.id, backup.job, backup.runId ?? null, backup.startedAt, backup.sourceType);
  }

  finishBackup(
    id: string,
    result: {
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
    },
  ): void {
    this.#db
      .prepare(
        `UPDATE backups SET status = ?, finished_at = ?, format = ?, compression = ?, artifact_key = ?, size = ?,
         sha256 = ?, manifest = ?, error = ?, flagged = ? WHERE id = ?`,
      )
      .run(
        result.status,
        result.finishedAt,
        result.format ?? null,
        result.compression ?? null,
        result.artifactKey ?? null,
        result.size ?? null,
        result.sha256 ?? null,
        result.manifest === undefined ? null : JSON.stringify(result.manifest),
        result.error ?? null,
        result.flagged ?? null,
        id,
      );
  }

  upsertCopy(copy: Omit<CopyRow, 'updatedAt'>): void {
    this.#db
      .prepare(
        `INSERT INTO copies (backup_id, destination, status, key, location, size, sha256, attempts, error, updated_at)
         VALUES (@backupId, @destination, @status, @key, @location, @size, @sha256, @attempts, @error, @updatedAt)
         ON CONFLICT (backup_id, destination) DO UPDATE SET status = excluded.status, key = excluded.key,
           location = excluded.location, size = excluded.size, sha256 = excluded.sha256,
           attempts = excluded.attempts, error = excluded.error, updated_at = excluded.updated_at`,
      )
      .run({ ...copy, updatedAt: this.#stamp() });
  }

  setCopyStatus(backupId: string, destination: string, status: CopyStatus, error?: string): void {
    this.#db
      .prepare(
        'UPDATE copies SET status = ?, error = ?, updated_at = ? WHERE backup_id = ? AND destination = ?',
      )
      .run(status, error ?? null, this.#stamp(), backupId, destination);
  }

  recordVerification(v: Omit<VerificationRow, 'checkedAt'>): void {
    this.#db
      .prepare(
        `INSERT INTO verifications (backup_id, destination, level, status, expected_size, expected_sha256,
           actual_size, actual_sha256, detail, checked_at)
         VALUES (@backupId, @destination, @level, @status, @expectedSize, @expectedSha256, @actualSize,
           @actualSha256, @detail, @checkedAt)`,
      )
      .run({ ...v, checkedAt: this.#stamp() });
  }

  /**
   * Marks the job's backups still recorded as running as failed with `error`, and returns their ids. Only for a
   * caller holding the job's lock: then no process is still writing them (theirs ended without finishing).
   * finished_at stays empty: when they stopped is not known.
   */
  failUnfinishedBackups(job: string, error: string): string[] {
    return this.#db.transaction(() => {
      const rows = this.#db
        .prepare(`SELECT id FROM backups WHERE job = ? AND status = 'running' ORDER BY started_at`)
        .all(job) as { id: string }[];
      this.#db
        .prepare(`UPDATE backups SET status = 'failed', error = ? WHERE job = ? AND status = 'running'`)
        .run(error, job);
      return rows.map((row) => row.id);
    })();
  }

  setBackupStatus(id: string, status: Exclude<BackupStatus, 'running'>): void {
    this.#db.prepare('UPDATE backups SET status = ? WHERE id = ?').run(status, id);
  }

  flagBackup(id: string, reason: string | null): void {
    this.#db.prepare('UPDATE backups SET flagged = ? WHERE id = ?').run(reason, id);
  }

  confirmBackup(id: string): void {
    this.#db.prepare('UPDATE backups SET confirmed_at = ? WHERE id = ?').run(this.#stamp(), id);
  }

  markPruned(id: string): void {
    this.#db.prepare('UPDATE backups SET pruned_at = ? WHERE id = ?').run(this.#stamp(), id);
  }

  deleteBackup(id: string): void {
    this.#db.prepare('DELETE FROM backups WHERE id = ?').run(id);
  }

  getBackup(id: string): BackupRow | undefined {
    const row = this.#db.prepare('SELECT * FROM backups WHERE id = ?').get(id) as Row | undefined;
    return row === undefined ? undefined : toBackup(row);
  }

  /** Newest first. */
  listBackups(filter: { job?: string; statuses?: readonly BackupStatus[] } = {}): BackupRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.job !== undefined) {
      where.push('job = ?');
      params.push(filter.job);
    }
    if (filter.statuses !== undefined) {
      where.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
      params.push(...filter.statuses);
    }
    const sql = `SELECT * FROM backups ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC`;
    return (this.#db.prepare(sql).all(...params) as Row[]).map(toBackup);
  }

  listCopies(backupId: string): CopyRow[] {
    const rows = this.#db
      .prepare('SELECT * FROM copies WHERE backup_id = ? ORDER BY destination')
      .all(backupId) as Row[];
    return rows.map(toCopy);
  }

  lastVerification(backupId: string): VerificationRow | undefined {
    const row = this.#db
      .prepare(
        `SELECT * FROM verifications WHERE backup_id = ? AND level != 'backup' ORDER BY id DESC LIMIT 1`,
      )
      .get(backupId) as Row | undefined;
    return row === undefined ? undefined : toVerification(row);
  }

  listVerifications(backupId: string): VerificationRow[] {
    const rows = this.#db
      .prepare('SELECT * FROM verifications WHERE backup_id = ? ORDER BY id')
      .all(backupId) as Row[];
    return rows.map(toVerification);
  }

  /** Replaces what the catalog knows of one backup with what a manifest says (catalog rebuild). */
  importFromManifest(manifest: Manifest, copies: readonly Omit<CopyRow, 'updatedAt'>[]): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM backups WHERE id = ?').run(manifest.backupId);
      this.insertBackup({
        id: manifest.backupId,
        job: manifest.job,
        sourceType: manifest.source.type,
        startedAt: manifest.createdAt,
      });
      this.finishBackup(manifest.backupId, {
        status: 'ok',
        finishedAt: manifest.finishedAt,
        format: manifest.artifact.format,
        compression: manifest.artifact.compression,
        artifactKey: manifest.artifact.key,
        size: manifest.artifact.size,
        sha256: manifest.artifact.sha256,
        manifest,
      });
      for (const copy of copies) this.upsertCopy(copy);
    })();
  }

  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }
}

function toBackup(row: Row): BackupRow {
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
  };
}

function toCopy(row: Row): CopyRow {
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

function toVerification(row: Row): VerificationRow {
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
