import type { Manifest } from '../manifest/manifest.js';
import type {
  BackupResult,
  BackupRow,
  BackupStatus,
  Catalog,
  CopyRow,
  CopyStatus,
  NewBackup,
  VerificationRow,
} from './catalog.js';
import {
  NUMBERED_TABLES,
  RECORD_TABLES,
  type RecordTable,
  SQLITE_DIALECT,
  type SqlDialect,
} from './records.js';
import { type ReportPeriod, type ReportRecords, readReportRecords } from './report-records.js';
import { type Row, toBackup, toCopy, toVerification } from './rows.js';
import type { SqlConnection, SqlDatabase } from './sql-connection.js';
import { readSizeTrends, readStatusRecords, type StatusRecords } from './status-records.js';
import type { NewWalCopy, WalCopyRow, WalRange, WalSegmentRow } from './wal-model.js';
import { deleteWalSegment, recordWalCopy, recordWalSegment, walCopies, walSegments } from './wal-records.js';

type NewCopy = Omit<CopyRow, 'updatedAt'>;

/** Rows per INSERT of copied records: 100 × 17 columns stays far below both databases' limit on parameters. */
const ROWS_PER_INSERT = 100;

/** The catalog's statements, the same for every database: standard SQL that SQLite and PostgreSQL both accept. */
export class SqlCatalog implements Catalog {
  readonly #sql: SqlConnection;
  readonly #now: () => Date;
  readonly #close: () => Promise<void>;
  readonly #schemaVersion: () => Promise<number>;
  readonly #dialect: SqlDialect;

  constructor(
    sql: SqlConnection | SqlDatabase,
    options: { now: () => Date; schemaVersion: () => Promise<number>; dialect?: SqlDialect },
  ) {
    this.#sql = sql;
    this.#now = options.now;
    this.#schemaVersion = options.schemaVersion;
    this.#dialect = options.dialect ?? SQLITE_DIALECT;
    this.#close = 'close' in sql ? () => sql.close() : async () => {};
  }

  schemaVersion(): Promise<number> {
    return this.#schemaVersion();
  }

  close(): Promise<void> {
    return this.#close();
  }

  #stamp(): string {
    return this.#now().toISOString();
  }

  async startRun(command: string): Promise<number> {
    const rows = await this.#sql.all('INSERT INTO runs (command, started_at) VALUES (?, ?) RETURNING id', [
      command,
      this.#stamp(),
    ]);
    return Number(rows[0]?.id);
  }

  async finishRun(id: number, status: string): Promise<void> {
    await this.#sql.run('UPDATE runs SET finished_at = ?, status = ? WHERE id = ?', [
      this.#stamp(),
      status,
      id,
    ]);
  }

  async insertBackup(backup: NewBackup): Promise<void> {
    const seq = backup.seq === undefined ? this.#dialect.nextBackupSeq : '?';
    await this.#sql.run(
      `INSERT INTO backups (id, job, run_id, status, started_at, source_type, seq)
       VALUES (?, ?, ?, 'running', ?, ?, ${seq})`,
      [
        backup.id,
        backup.job,
        backup.runId ?? null,
        backup.startedAt,
        backup.sourceType,
        ...(backup.seq === undefined ? [] : [backup.seq]),
      ],
    );
  }

  async finishBackup(id: string, result: BackupResult): Promise<void> {
    await this.#sql.run(
      `UPDATE backups SET status = ?, finished_at = ?, format = ?, compression = ?, artifact_key = ?, size = ?,
       sha256 = ?, manifest = ?, error = ?, flagged = ? WHERE id = ?`,
      [
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
      ],
    );
  }

  async upsertCopy(copy: NewCopy): Promise<void> {
    await this.#sql.run(
      `INSERT INTO copies (backup_id, destination, status, key, location, size, sha256, attempts, error, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (backup_id, destination) DO UPDATE SET status = excluded.status, key = excluded.key,
         location = excluded.location, size = excluded.size, sha256 = excluded.sha256,
         attempts = excluded.attempts, error = excluded.error, updated_at = excluded.updated_at`,
      [
        copy.backupId,
        copy.destination,
        copy.status,
        copy.key,
        copy.location,
        copy.size,
        copy.sha256,
        copy.attempts,
        copy.error,
        this.#stamp(),
      ],
    );
  }

  async setCopyStatus(
    backupId: string,
    destination: string,
    status: CopyStatus,
    error?: string,
  ): Promise<void> {
    await this.#sql.run(
      'UPDATE copies SET status = ?, error = ?, updated_at = ? WHERE backup_id = ? AND destination = ?',
      [status, error ?? null, this.#stamp(), backupId, destination],
    );
  }

  async recordVerification(v: Omit<VerificationRow, 'checkedAt'>): Promise<void> {
    await this.#sql.run(
      `INSERT INTO verifications (backup_id, destination, level, status, expected_size, expected_sha256,
         actual_size, actual_sha256, detail, checked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        v.backupId,
        v.destination,
        v.level,
        v.status,
        v.expectedSize,
        v.expectedSha256,
        v.actualSize,
        v.actualSha256,
        v.detail,
        this.#stamp(),
      ],
    );
  }

  failUnfinishedBackups(job: string, error: string): Promise<string[]> {
    return this.#sql.transaction(async (tx) => {
      const rows = await tx.all(`SELECT id FROM backups WHERE job = ? AND status = 'running' ORDER BY seq`, [
        job,
      ]);
      await tx.run(`UPDATE backups SET status = 'failed', error = ? WHERE job = ? AND status = 'running'`, [
        error,
        job,
      ]);
      return rows.map((row) => row.id as string);
    });
  }

  async setBackupStatus(id: string, status: Exclude<BackupStatus, 'running'>): Promise<void> {
    await this.#sql.run('UPDATE backups SET status = ? WHERE id = ?', [status, id]);
  }

  async flagBackup(id: string, reason: string | null): Promise<void> {
    await this.#sql.run('UPDATE backups SET flagged = ? WHERE id = ?', [reason, id]);
  }

  async confirmBackup(id: string): Promise<void> {
    await this.#sql.run('UPDATE backups SET confirmed_at = ? WHERE id = ?', [this.#stamp(), id]);
  }

  async markPruned(id: string): Promise<void> {
    await this.#sql.run('UPDATE backups SET pruned_at = ? WHERE id = ?', [this.#stamp(), id]);
  }

  async deleteBackup(id: string): Promise<void> {
    await this.#sql.run('DELETE FROM backups WHERE id = ?', [id]);
  }

  async getBackup(id: string): Promise<BackupRow | undefined> {
    const [row] = await this.#sql.all('SELECT * FROM backups WHERE id = ?', [id]);
    return row === undefined ? undefined : toBackup(row);
  }

  async listBackups(filter: { job?: string; statuses?: readonly BackupStatus[] } = {}): Promise<BackupRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.job !== undefined) {
      where.push('job = ?');
      params.push(filter.job);
    }
    if (filter.statuses !== undefined) {
      // An empty list matches nothing (IN () is not valid SQL everywhere).
      where.push(
        filter.statuses.length ? `status IN (${filter.statuses.map(() => '?').join(', ')})` : '1 = 0',
      );
      params.push(...filter.statuses);
    }
    const sql = `SELECT * FROM backups ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC`;
    return (await this.#sql.all(sql, params)).map(toBackup);
  }

  async listCopies(backupId: string): Promise<CopyRow[]> {
    const rows = await this.#sql.all('SELECT * FROM copies WHERE backup_id = ? ORDER BY destination', [
      backupId,
    ]);
    return rows.map(toCopy);
  }

  async lastVerification(backupId: string): Promise<VerificationRow | undefined> {
    const [row] = await this.#sql.all(
      `SELECT * FROM verifications WHERE backup_id = ? AND level != 'backup' ORDER BY id DESC LIMIT 1`,
      [backupId],
    );
    return row === undefined ? undefined : toVerification(row);
  }

  async listVerifications(backupId: string): Promise<VerificationRow[]> {
    const rows = await this.#sql.all('SELECT * FROM verifications WHERE backup_id = ? ORDER BY id', [
      backupId,
    ]);
    return rows.map(toVerification);
  }

  statusRecords(destinations: readonly string[]): Promise<StatusRecords> {
    return readStatusRecords(this.#sql, destinations);
  }

  reportRecords(period: ReportPeriod): Promise<ReportRecords> {
    return readReportRecords(this.#sql, period);
  }

  sizeTrends(limit: number): Promise<{ job: string; size: number }[]> {
    return readSizeTrends(this.#sql, limit);
  }

  importFromManifest(manifest: Manifest, copies: readonly NewCopy[]): Promise<void> {
    return this.transaction(async (tx) => {
      // A backup already recorded keeps its place in the order; a new one comes after every other.
      const known = await tx.getBackup(manifest.backupId);
      await tx.deleteBackup(manifest.backupId);
      await tx.insertBackup({
        id: manifest.backupId,
        job: manifest.job,
        sourceType: manifest.source.type,
        startedAt: manifest.createdAt,
        ...(known === undefined ? {} : { seq: known.seq }),
      });
      await tx.finishBackup(manifest.backupId, {
        status: 'ok',
        finishedAt: manifest.finishedAt,
        format: manifest.artifact.format,
        compression: manifest.artifact.compression,
        artifactKey: manifest.artifact.key,
        size: manifest.artifact.size,
        sha256: manifest.artifact.sha256,
        manifest,
      });
      for (const copy of copies) await tx.upsertCopy(copy);
    });
  }

  async lockRecords(): Promise<void> {
    if (this.#dialect.lockRecords !== undefined) await this.#sql.run(this.#dialect.lockRecords);
  }

  records(table: RecordTable, page: { offset: number; limit: number }): Promise<Row[]> {
    const { key, columns } = RECORD_TABLES[table];
    return this.#sql.all(
      `SELECT ${columns.join(', ')} FROM ${table} ORDER BY ${key.join(', ')} LIMIT ? OFFSET ?`,
      [page.limit, page.offset],
    );
  }

  async addRecords(table: RecordTable, rows: readonly Row[]): Promise<void> {
    const { columns } = RECORD_TABLES[table];
    const numbered = NUMBERED_TABLES.get(table);
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
      const batch = rows.slice(start, start + ROWS_PER_INSERT);
      await this.#sql.run(
        `INSERT INTO ${table} (${columns.join(', ')}) ${numbered === undefined ? '' : this.#dialect.keepIds}
         VALUES ${batch.map(() => tuple).join(', ')}`,
        batch.flatMap((row) => columns.map((column) => row[column] ?? null)),
      );
    }
    const resume = numbered === undefined ? undefined : this.#dialect.resumeIds?.(table, numbered);
    if (resume !== undefined) await this.#sql.all(resume);
  }

  recordWalSegment(row: WalSegmentRow): Promise<void> {
    return recordWalSegment(this.#sql, row);
  }

  recordWalCopy(copy: NewWalCopy): Promise<void> {
    return recordWalCopy(this.#sql, copy, this.#stamp());
  }

  walSegments(job: string, range?: WalRange): Promise<WalSegmentRow[]> {
    return walSegments(this.#sql, job, range);
  }

  walCopies(job: string, names?: readonly string[]): Promise<WalCopyRow[]> {
    return walCopies(this.#sql, job, names);
  }

  deleteWalSegment(job: string, name: string): Promise<void> {
    return deleteWalSegment(this.#sql, job, name);
  }

  async startStaleEpisode(job: string): Promise<boolean> {
    const changed = await this.#sql.run(
      'INSERT INTO stale_episodes (job, since) VALUES (?, ?) ON CONFLICT (job) DO NOTHING',
      [job, this.#stamp()],
    );
    return changed === 1;
  }

  async endStaleEpisode(job: string): Promise<boolean> {
    return (await this.#sql.run('DELETE FROM stale_episodes WHERE job = ?', [job])) === 1;
  }

  transaction<T>(fn: (tx: Catalog) => Promise<T>): Promise<T> {
    return this.#sql.transaction((sql) =>
      fn(new SqlCatalog(sql, { now: this.#now, schemaVersion: this.#schemaVersion, dialect: this.#dialect })),
    );
  }
}
