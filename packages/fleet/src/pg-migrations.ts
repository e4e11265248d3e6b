/**
 * The PostgreSQL catalog's schema, in the schema `tricopy` of the catalog's database (pg-boss keeps its queue in
 * `tricopy_queue`). Append only: entry N moves `schema_version` from N to N + 1. Text columns that are sorted are
 * COLLATE "C", so they sort byte by byte as in the SQLite catalog.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    command TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT
  );
  CREATE TABLE backups (
    id TEXT COLLATE "C" PRIMARY KEY,
    job TEXT COLLATE "C" NOT NULL,
    run_id BIGINT REFERENCES runs(id),
    status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'degraded', 'failed')),
    started_at TEXT COLLATE "C" NOT NULL,
    finished_at TEXT,
    source_type TEXT NOT NULL,
    format TEXT,
    compression TEXT,
    artifact_key TEXT,
    size BIGINT,
    sha256 TEXT,
    manifest TEXT,
    error TEXT,
    flagged TEXT,
    confirmed_at TEXT,
    pruned_at TEXT
  );
  CREATE INDEX backups_job ON backups(job, started_at);
  CREATE TABLE copies (
    backup_id TEXT COLLATE "C" NOT NULL REFERENCES backups(id) ON DELETE CASCADE,
    destination TEXT COLLATE "C" NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'failed', 'deleting', 'deleted')),
    key TEXT NOT NULL,
    location TEXT,
    size BIGINT,
    sha256 TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (backup_id, destination)
  );
  CREATE TABLE verifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    backup_id TEXT COLLATE "C" NOT NULL REFERENCES backups(id) ON DELETE CASCADE,
    destination TEXT COLLATE "C",
    level TEXT NOT NULL CHECK (level IN ('backup', 'stat', 'deep', 'restore-test')),
    status TEXT NOT NULL,
    expected_size BIGINT,
    expected_sha256 TEXT,
    actual_size BIGINT,
    actual_sha256 TEXT,
    detail TEXT,
    checked_at TEXT COLLATE "C" NOT NULL
  );
  CREATE INDEX verifications_backup ON verifications(backup_id, checked_at);
  CREATE TABLE stale_episodes (
    job TEXT PRIMARY KEY,
    since TEXT NOT NULL
  );
  -- One row per job ever locked: lock_id is the key of its advisory lock, holder who holds it now (or last did).
  CREATE TABLE job_locks (
    job TEXT PRIMARY KEY,
    lock_id INTEGER GENERATED ALWAYS AS IDENTITY UNIQUE,
    holder TEXT,
    since TEXT COLLATE "C"
  );
  -- Destinations and database hosts that fleet limits count runs against; id keys their slot locks.
  CREATE TABLE run_resources (
    name TEXT PRIMARY KEY,
    id INTEGER GENERATED ALWAYS AS IDENTITY UNIQUE
  );
  `,
];
