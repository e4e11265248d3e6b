import type { Row } from './model.js';
import type { SqlConnection } from './sql-connection.js';
import type {
  NewWalCopy,
  WalCopyRow,
  WalCopyStatus,
  WalFileKind,
  WalRange,
  WalSegmentRow,
} from './wal-model.js';

/** Names per `IN (…)` list: far below both databases' limit on parameters. */
const NAMES_PER_QUERY = 500;

/**
 * Records an archived WAL file, or replaces what was recorded of it. When the stored artifact changed (another
 * hash), the copies recorded of the old one no longer hold it and are forgotten.
 */
export async function recordWalSegment(sql: SqlConnection, row: WalSegmentRow): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.run(
      'DELETE FROM wal_copies WHERE job = ? AND name = ? AND NOT EXISTS (SELECT 1 FROM wal_segments s WHERE s.job = wal_copies.job AND s.name = wal_copies.name AND s.sha256 = ?)',
      [row.job, row.name, row.sha256],
    );
    await tx.run(
      `INSERT INTO wal_segments (job, name, timeline, kind, raw_size, raw_sha256, size, sha256, compression,
         encrypted, key, stored_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (job, name) DO UPDATE SET timeline = excluded.timeline, kind = excluded.kind,
         raw_size = excluded.raw_size, raw_sha256 = excluded.raw_sha256, size = excluded.size,
         sha256 = excluded.sha256, compression = excluded.compression, encrypted = excluded.encrypted,
         key = excluded.key, stored_at = excluded.stored_at`,
      [
        row.job,
        row.name,
        row.timeline,
        row.kind,
        row.rawSize,
        row.rawSha256,
        row.size,
        row.sha256,
        row.compression,
        row.encrypted ? 1 : 0,
        row.key,
        row.storedAt,
      ],
    );
  });
}

/** Records what is known of one copy of an archived WAL file (recorded already), replacing what was. */
export async function recordWalCopy(sql: SqlConnection, copy: NewWalCopy, checkedAt: string): Promise<void> {
  await sql.run(
    `INSERT INTO wal_copies (job, name, destination, status, checked_at, error) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (job, name, destination) DO UPDATE SET status = excluded.status,
       checked_at = excluded.checked_at, error = excluded.error`,
    [copy.job, copy.name, copy.destination, copy.status, checkedAt, copy.error ?? null],
  );
}

/** The job's archived WAL files in archive (name) order, those of `range` only when given. */
export async function walSegments(
  sql: SqlConnection,
  job: string,
  range: WalRange = {},
): Promise<WalSegmentRow[]> {
  const where = ['job = ?'];
  const params: unknown[] = [job];
  if (range.from !== undefined) {
    where.push('name >= ?');
    params.push(range.from);
  }
  if (range.to !== undefined) {
    where.push('name <= ?');
    params.push(range.to);
  }
  const rows = await sql.all(`SELECT * FROM wal_segments WHERE ${where.join(' AND ')} ORDER BY name`, params);
  return rows.map(toWalSegment);
}

/** The copies of the job's archived WAL files (of `names` only when given), by name then destination. */
export async function walCopies(
  sql: SqlConnection,
  job: string,
  names?: readonly string[],
): Promise<WalCopyRow[]> {
  const order = 'ORDER BY name, destination';
  if (names === undefined) {
    return (await sql.all(`SELECT * FROM wal_copies WHERE job = ? ${order}`, [job])).map(toWalCopy);
  }
  const copies: WalCopyRow[] = [];
  const sorted = [...new Set(names)].sort();
  for (let start = 0; start < sorted.length; start += NAMES_PER_QUERY) {
    const batch = sorted.slice(start, start + NAMES_PER_QUERY);
    const rows = await sql.all(
      `SELECT * FROM wal_copies WHERE job = ? AND name IN (${batch.map(() => '?').join(', ')}) ${order}`,
      [job, ...batch],
    );
    copies.push(...rows.map(toWalCopy));
  }
  return copies;
}

/** Forgets an archived WAL file and its copies. */
export async function deleteWalSegment(sql: SqlConnection, job: string, name: string): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.run('DELETE FROM wal_copies WHERE job = ? AND name = ?', [job, name]);
    await tx.run('DELETE FROM wal_segments WHERE job = ? AND name = ?', [job, name]);
  });
}

function toWalSegment(row: Row): WalSegmentRow {
  return {
    job: row.job as string,
    name: row.name as string,
    timeline: Number(row.timeline),
    kind: row.kind as WalFileKind,
    rawSize: Number(row.raw_size),
    rawSha256: row.raw_sha256 as string,
    size: Number(row.size),
    sha256: row.sha256 as string,
    compression: row.compression as string,
    encrypted: Number(row.encrypted) === 1,
    key: row.key as string,
    storedAt: row.stored_at as string,
  };
}

function toWalCopy(row: Row): WalCopyRow {
  const copy: WalCopyRow = {
    job: row.job as string,
    name: row.name as string,
    destination: row.destination as string,
    status: row.status as WalCopyStatus,
    checkedAt: row.checked_at as string,
  };
  if (row.error !== null && row.error !== undefined) copy.error = row.error as string;
  return copy;
}
