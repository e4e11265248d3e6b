/** Versioned schema migrations. Append only: each entry moves `PRAGMA user_version` from its index to index + 1. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    command TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT
  );
  CREATE TABLE backups (
    id TEXT PRIMARY KEY,
    job TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id),
    status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'degraded', 'failed')),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    source_type TEXT NOT NULL,
    format TEXT,
    compression TEXT,
    artifact_key TEXT,
    size INTEGER,
    sha256 TEXT,
    manifest TEXT,
    error TEXT,
    flagged TEXT,
    confirmed_at TEXT
  );
  CREATE INDEX backups_job ON backups(job, started_at);
  CREATE TABLE copies (
    backup_id TEXT NOT NULL REFERENCES backups(id) ON DELETE CASCADE,
    destination TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'failed', 'deleted')),
    key TEXT NOT NULL,
    location TEXT,
    size INTEGER,
    sha256 TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (backup_id, destination)
  );
  CREATE TABLE verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    backup_id TEXT NOT NULL REFERENCES backups(id) ON DELETE CASCADE,
    destination TEXT,
    level TEXT NOT NULL CHECK (level IN ('backup', 'stat', 'deep', 'restore-test')),
    status TEXT NOT NULL,
    expected_size INTEGER,
    expected_sha256 TEXT,
    actual_size INTEGER,
    actual_sha256 TEXT,
    detail TEXT,
    checked_at TEXT NOT NULL
  );
  CREATE INDEX verifications_backup ON verifications(backup_id, checked_at);
  `,
  // 2: prune marks a copy 'deleting' before removing it, 'deleted' after; backups remember when they were pruned.
  `
  CREATE TABLE copies_v2 (
    backup_id TEXT NOT NULL REFERENCES backups(id) ON DELETE CASCADE,
    destination TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'failed', 'deleting', 'deleted')),
    key TEXT NOT NULL,
    location TEXT,
    size INTEGER,
    sha256 TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (backup_id, destination)
  );
  INSERT INTO copies_v2 SELECT backup_id, destination, status, key, location, size, sha256, attempts, error, updated_at
    FROM copies;
  DROP TABLE copies;
  ALTER TABLE copies_v2 RENAME TO copies;
  ALTER TABLE backups ADD COLUMN pruned_at TEXT;
  `,
  // 3: a job's current stale episode (see schedule/stale-alerts.ts), so its notification fires once per episode.
  `
  CREATE TABLE stale_episodes (
    job TEXT PRIMARY KEY,
    since TEXT NOT NULL
  );
  `,
  // 4: the catalog's own order of backups (seq), which a clock that jumps cannot reorder: existing rows keep the
  // order they were recorded in (rowid: SQLite gives each new row the largest one yet).
  `
  ALTER TABLE backups ADD COLUMN seq INTEGER;
  UPDATE backups SET seq = rowid;
  CREATE UNIQUE INDEX backups_seq ON backups(seq);
  CREATE INDEX backups_job_seq ON backups(job, seq);
  `,
  // 5: a restore drill is recorded as a verification of level 'drill' (its detail a JSON text, see docs/report.md).
  `
  CREATE TABLE verifications_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    backup_id TEXT NOT NULL REFERENCES backups(id) ON DELETE CASCADE,
    destination TEXT,
    level TEXT NOT NULL CHECK (level IN ('backup', 'stat', 'deep', 'restore-test', 'drill')),
    status TEXT NOT NULL,
    expected_size INTEGER,
    expected_sha256 TEXT,
    actual_size INTEGER,
    actual_sha256 TEXT,
    detail TEXT,
    checked_at TEXT NOT NULL
  );
  INSERT INTO verifications_v2 SELECT id, backup_id, destination, level, status, expected_size, expected_sha256,
    actual_size, actual_sha256, detail, checked_at FROM verifications;
  DROP TABLE verifications;
  ALTER TABLE verifications_v2 RENAME TO verifications;
  CREATE INDEX verifications_backup ON verifications(backup_id, checked_at);
  `,
  // 6: archived WAL (PostgreSQL point-in-time recovery): each file stored once per job, and its copies.
  `
  CREATE TABLE wal_segments (
    job TEXT NOT NULL,
    name TEXT NOT NULL,
    timeline INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('segment', 'history')),
    raw_size INTEGER NOT NULL,
    raw_sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    compression TEXT NOT NULL,
    encrypted INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
    key TEXT NOT NULL,
    stored_at TEXT NOT NULL,
    PRIMARY KEY (job, name)
  );
  CREATE TABLE wal_copies (
    job TEXT NOT NULL,
    name TEXT NOT NULL,
    destination TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('verified', 'failed', 'missing', 'deleted')),
    checked_at TEXT NOT NULL,
    error TEXT,
    PRIMARY KEY (job, name, destination),
    FOREIGN KEY (job, name) REFERENCES wal_segments(job, name) ON DELETE CASCADE
  );
  `,
];
