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
} as const satisfies Record<string, { key: readonly string[]; columns: readonly string[] }>;

export type RecordTable = keyof typeof RECORD_TABLES;

/** The tables in the order their rows can be inserted (a row's references come first). */
export const RECORD_TABLE_ORDER: readonly RecordTable[] = [
  'runs',
  'backups',
  'copies',
  'verifications',
  'stale_episodes',
];

/** Tables whose `id` the database numbers itself; a copy keeps the ids, and the numbering continues after them. */
export const NUMBERED_TABLES: ReadonlySet<RecordTable> = new Set(['runs', 'verifications']);

/** What differs between databases in writing rows with their own ids into a numbered table. */
export interface SqlDialect {
  /** Put between an INSERT's column list and VALUES to keep given ids ('' where the database keeps them anyway). */
  readonly keepIds: string;
  /** A statement that makes `table`'s numbering continue after its largest id (none: the database does it). */
  resumeIds?(table: RecordTable): string;
  /** A statement that keeps other writers of the record tables out until the transaction ends (none: it does). */
  readonly lockRecords?: string;
}

/**
 * SQLite keeps a given INTEGER PRIMARY KEY and continues its AUTOINCREMENT numbering after it by itself, and its
 * transactions (BEGIN IMMEDIATE) already keep every other writer out.
 */
export const SQLITE_DIALECT: SqlDialect = { keepIds: '' };
