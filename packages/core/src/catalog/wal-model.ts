/** What the catalog records of archived WAL (PostgreSQL point-in-time recovery): the trust root for every byte. */

export type WalFileKind = 'segment' | 'history';
export type WalCopyStatus = 'verified' | 'failed' | 'missing' | 'deleted';

/** One archived WAL file (a segment or a timeline's history file) as stored: raw and stored sizes and hashes. */
export interface WalSegmentRow {
  job: string;
  /** The file name PostgreSQL gives it: `000000010000000000000003` or `00000002.history`. */
  name: string;
  timeline: number;
  kind: WalFileKind;
  /** The file as PostgreSQL wrote it. */
  rawSize: number;
  rawSha256: string;
  /** The stored artifact (compressed, encrypted when the job is): what every copy must hash to. */
  size: number;
  sha256: string;
  compression: string;
  encrypted: boolean;
  key: string;
  /** ISO time it was stored (recorded). */
  storedAt: string;
}

/** Where one archived WAL file is stored, and what the last check of it found. */
export interface WalCopyRow {
  job: string;
  name: string;
  destination: string;
  status: WalCopyStatus;
  checkedAt: string;
  error?: string;
}

/** A WAL copy as `recordWalCopy` records it: the catalog stamps `checkedAt`. */
export type NewWalCopy = Omit<WalCopyRow, 'checkedAt'>;

/** Names from `from` to `to`, both included (file-name order, which is archive order). */
export interface WalRange {
  from?: string;
  to?: string;
}
