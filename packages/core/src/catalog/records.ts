/**
 * The catalog's tables as stored, for copying a catalog into another database (`tricopy catalog copy`): every
 * column of every table that holds history, in an order that respects their references. Job locks and fleet
 * slots are not history and are not copied.
 */
export const RECORD_TABLES = {
  runs: { key: ['id'], columns: ['id', 'command', 'started_at', 'finished_at', 'status'] },
  backups: {
    key: ['id'],
    columns: [
      'id',
      'job',
      'run_id',
      'status',
      'started_at',
      'finished_at',
      'source_type',
      'format',
      'compression',
      'artifact_key',
      'size',
      'sha256',
      'manifest',
      'error',
      'flagged',
      'confirmed_at',
      'pruned_at',
      'seq',
    ],
  },
  copies: {
    key: ['backup_id', 'destination'],
    columns: [
      'backup_id',
      'destination',
      'status',
      'key',
      'location',
      'size',
      'sha256',
      'attempts',
      'error',
      'updated_at',
    ],
  },
  verifications: {
    key: ['id'],
    columns: [
      'id',
      'backup_id',
      'destination',
      'level',
      'status',
      'expected_size',
      'expected_sha256',
      'actual_size',
      'actual_sha256',
      'detail',
      'checked_at',
    ],
  },
  stale_episodes: { key: ['job'], columns: ['job', 'since'] },
  wal_segments: {
    key: ['job', 'name'],
    columns: [
      'job',
      'name',
      'timeline',
      'kind',
      'raw_size',
      'raw_sha256',
      'size',
      'sha256',
      'compression',
      'encrypted',
      'key',
      'stored_at',
    ],
  },
  wal_copies: {
    key: ['job', 'name', 'destination'],
    columns: ['job', 'name', 'destination', 'status', 'checked_at', 'error'],
  },
} as const satisfies Record<string, { key: readonly string[]; columns: readonly string[] }>;

export type RecordTable = keyof typeof RECORD_TABLES;

/** The tables in the order their rows can be inserted (a row's references come first). */
export const RECORD_TABLE_ORDER: readonly RecordTable[] = [
  'runs',
  'backups',
  'copies',
  'verifications',
  'stale_episodes',
  'wal_segments',
  'wal_copies',
];

/**
 * Tables with a column the database numbers itself (runs' and verifications' ids, backups' order); a copy keeps the
 * numbers, and the numbering continues after them.
 */
export const NUMBERED_TABLES: ReadonlyMap<RecordTable, string> = new Map([
  ['runs', 'id'],
  ['verifications', 'id'],
  ['backups', 'seq'],
]);

/** What differs between databases in writing rows with their own ids into a numbered table. */
export interface SqlDialect {
  /** Put between an INSERT's column list and VALUES to keep given ids ('' where the database keeps them anyway). */
  readonly keepIds: string;
  /** A statement that makes `table`'s numbering of `column` continue after its largest (none: the database does). */
  resumeIds?(table: RecordTable, column: string): string;
  /** The value of a new backup's `seq`: one more than any yet. */
  readonly nextBackupSeq: string;
  /** A statement that keeps other writers of the record tables out until the transaction ends (none: it does). */
  readonly lockRecords?: string;
}

/**
 * SQLite keeps a given INTEGER PRIMARY KEY and continues its AUTOINCREMENT numbering after it by itself, and its
 * transactions (BEGIN IMMEDIATE) already keep every other writer out; one writer at a time also makes the next
 * backup's seq safe to compute from the largest.
 */
export const SQLITE_DIALECT: SqlDialect = {
  keepIds: '',
  nextBackupSeq: '(SELECT COALESCE(MAX(seq), 0) + 1 FROM backups)',
};
