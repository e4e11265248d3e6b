import type { Readable } from 'node:stream';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Logger } from './logger.js';
import type { ContractVersion } from './version.js';

export type { StandardSchemaV1 };

/** What the engine hands to a plugin's `create`. */
export interface PluginContext {
  /** The instance name from the config (`primary`, or the job name for a source). */
  readonly name: string;
  /** Folder of the config file: resolve relative paths in options against it. */
  readonly configDir: string;
  /** A scratch folder for this run (temporary option files, spools); the engine removes it afterwards. */
  readonly workDir: string;
  readonly logger: Logger;
  /** Replaces every secret the engine knows of (passwords, keys, tokens) with `***`. Use it on tool output. */
  redact(text: string): string;
}

interface PluginBase<Options> {
  /** The contract version the plugin was written against: CONTRACT_VERSION. */
  readonly contractVersion: ContractVersion;
  /** The `type:` name users write in the config, e.g. `local`, `s3`, `postgres`. */
  readonly type: string;
  /**
   * Validates and normalises the plugin's options (the config block minus `type`, `media`, `offsite`).
   * Any Standard Schema implementation works (zod 3.24+/4, valibot, arktype).
   */
  readonly optionsSchema: StandardSchemaV1<unknown, Options>;
  /** Option names whose values are secrets; the engine redacts them everywhere. */
  readonly secretOptions?: readonly string[];
}

// ---------------------------------------------------------------- destinations

export interface DestinationPlugin<Options = unknown> extends PluginBase<Options> {
  readonly kind: 'destination';
  /** Defaults for the 3-2-1 computation; users may override both per destination. */
  readonly defaults: { readonly media: string; readonly offsite: boolean };
  create(options: Options, context: PluginContext): Destination | Promise<Destination>;
}

export interface DestinationCapabilities {
  /** `stat` returns a sha256 the store recorded with the object (e.g. S3 metadata). */
  readonly storedSha256?: boolean;
  /** `put` re-reads what it stored and reports its sha256 (e.g. the local disk). */
  readonly readBackSha256?: boolean;
  /** Reading a copy costs nothing beyond local I/O; the engine prefers such copies for retries and restores. */
  readonly local?: boolean;
}

export interface PutOptions {
  readonly signal?: AbortSignal;
  /** The sha256 (hex) the engine computed for the bytes; stores that keep metadata should keep it. */
  readonly sha256?: string;
  /** Exact byte count when known in advance (retries from a completed copy); unknown for a live dump. */
  readonly size?: number;
  /**
   * Approximate size for sizing upload parts when `size` is unknown: the job's previous backup size, else (a first
   * backup) the source's `Dump.sizeHint` of its raw bytes. May be missing or wrong; never rely on it for correctness.
   */
  readonly sizeHint?: number;
}

export interface PutResult {
  /** Bytes stored, as the destination observed them. */
  readonly size: number;
  /** sha256 (hex) of what the destination stored, if it could observe it. */
  readonly sha256?: string;
  /** Where the copy lives, for people: an absolute path, `sftp://host/path`, `s3://bucket/key`. No secrets. */
  readonly location: string;
}

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** Only when the store recorded it (see `capabilities.storedSha256`). */
  readonly sha256?: string;
  readonly modifiedAt?: Date;
}

/**
 * A place that keeps copies. Every method takes keys as defined by `assertSafeKey`; a key means the same in
 * every method. Implementations reject unsafe keys with InvalidKeyError.
 */
export interface Destination {
  readonly capabilities?: DestinationCapabilities;
  /** Where `key` lives, for people and the catalog. */
  locate(key: string): string;
  /**
   * Stores `body` under `key` atomically: until it resolves nothing is visible under `key`, and if it rejects
   * (or `signal` aborts) nothing is left under `key` and no partial temporary object remains listable.
   * Replaces an existing object.
   */
  put(key: string, body: Readable, options?: PutOptions): Promise<PutResult>;
  /** Opens the object for reading. Rejects with NotFoundError when it does not exist. */
  get(key: string, options?: { signal?: AbortSignal }): Promise<Readable>;
  /** Size (and stored sha256, if any) of an object; `undefined` when it does not exist. */
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with `prefix` ('' for all). In-progress temporary objects are never listed. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Removes an object. Deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  /**
   * Optional. Removes what uploads of a process that was killed left under `prefix`: temporary files, unfinished
   * multipart uploads, anything `put` writes before it resolves. Only what is provably dead: started (or last
   * written) before `olderThan`, or in a folder `abandoned` names. Never an object `list` shows. Another process
   * (another config, another host) may be writing under the same prefix right now: leave everything else alone.
   * Resolves with a description of each thing removed (for the log); errors reject like any other call.
   */
  sweep?(prefix: string, options: SweepOptions): Promise<readonly string[]>;
  /**
   * Optional. Whether the destination itself (a local folder) is missing, so that a first `put` would create it:
   * `creatable` when a `put` would create it, and a sentence saying what is missing and how to create it;
   * `undefined` when it is there. `tricopy check` asks before its probe write, so that a check changes nothing
   * unasked. Creates nothing.
   */
  missing?(): Promise<MissingDestination | undefined>;
  /** Releases connections. Called once per run. */
  close?(): Promise<void>;
}

export interface MissingDestination {
  /** A `put` would create it (e.g. the folder's parent exists and is writable). */
  readonly creatable: boolean;
  /** What is missing and how to create it. */
  readonly message: string;
}

export interface SweepOptions {
  /**
   * Leave anything started (or last written, where the store records writes) at or after this time alone, unless
   * `abandoned` names its folder. The engine sets it so far back that no live upload of any process can be older.
   */
  readonly olderThan: Date;
  /**
   * Optional (older engines never set it): whether the uploads in `folder` — the key prefix the leftover was
   * being written under, ending in '/' ('' at the top) — are known to be dead whatever their age, because the
   * engine knows the runs that wrote there have ended. Plugins that ignore it stay safe; they just clean up later.
   */
  readonly abandoned?: (folder: string) => boolean;
  readonly signal?: AbortSignal;
}

// ---------------------------------------------------------------- sources

export interface TableCount {
  readonly name: string;
  readonly rows: number;
  /** false when the count is an estimate (e.g. information_schema for very large MySQL tables). */
  readonly exact: boolean;
}

export interface DumpInfo {
  /** 'sqlite', 'postgresql', 'mariadb', 'mysql'. */
  readonly engine: string;
  readonly engineVersion: string;
  /** Version of the dump tool, where one is used (pg_dump 15.18). */
  readonly toolVersion?: string;
  /** Per-table row counts consistent with the dump, when the source can give them. */
  readonly tables?: readonly TableCount[];
  /** Anything else worth keeping in the manifest. Never secrets. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface Dump {
  /** The dump's bytes. The engine reads it exactly once, to the end. */
  readonly stream: Readable;
  /** What the bytes are; handed back to `restore`. E.g. 'sqlite-database', 'pg-custom', 'pg-plain', 'mysql-sql'. */
  readonly format: string;
  /** File extension for the artifact without compression suffix, e.g. 'sqlite', 'pgdump', 'sql'. */
  readonly extension: string;
  /** The format compresses itself (pg_dump -Fc): the engine does not compress again unless told to. */
  readonly compressed?: boolean;
  /**
   * The source took up `DumpOptions.compression`: `stream` is already compressed with this codec. The engine stores
   * it as it is, with the codec's suffix, and decompresses it before `restore`; it can then prove only what comes
   * after the source (the built-in sources never set it: hand the engine the raw dump). Set it only when offered.
   */
  readonly compression?: 'zstd';
  /**
   * About how many bytes `stream` will hold, when the source can tell cheaply before it starts (the database's size
   * on disk, a snapshot file's size). The engine passes it on as `PutOptions.sizeHint` for a job's first backup, so
   * uploads size their parts for it; it may be wrong and is never relied on.
   */
  readonly sizeHint?: number;
  /**
   * Settles after `stream` has ended: resolves when the dump is complete and consistent, rejects with a
   * SourceError (tool stderr in `details`, redacted) when it is not. The engine records nothing as a good
   * backup before this resolves.
   */
  readonly completion: Promise<DumpInfo>;
}

export interface DumpOptions {
  readonly signal?: AbortSignal;
  /**
   * The engine is about to compress the dump with this codec and level, so a format need not compress itself
   * (pg_dump -Z0). The engine counts and hashes the raw dump and proves the stored artifact decodes back to it; a
   * source may still compress itself and say so with `Dump.compression`, but then its own bytes cannot be proven.
   */
  readonly compression?: DumpCompression;
}

export interface DumpCompression {
  readonly codec: 'zstd';
  /** zstd level, 1-19. */
  readonly level: number;
}

export interface RestoreTarget {
  /** For file-based sources (SQLite): the file to create. */
  readonly path?: string;
  /** For server sources: the database to restore into, on the job's own server. */
  readonly database?: string;
  /** Create the database if it does not exist. */
  readonly createDatabase?: boolean;
  /** Replace an existing, non-empty target. Without it, restoring over anything that exists is refused. */
  readonly force?: boolean;
  /**
   * Optional (a drill's target): refuse the job's own database or file even with `force`. tricopy drills only with
   * sources that have `query` (contract 1 plugins written before drills lack both).
   */
  readonly notOwn?: boolean;
  /**
   * For sources whose `restoreTarget` is 'directory' (a PostgreSQL base backup): the data directory to create. It
   * must not exist or be empty; it is created private to its owner.
   */
  readonly directory?: string;
}

/**
 * Optional (directory targets): recovery settings the source writes into the restored data directory, so that
 * starting the server replays archived WAL to the target.
 */
export interface RecoverySettings {
  /** Shell command the server runs to fetch one archived WAL file (%f, %p placeholders as PostgreSQL gives them). */
  readonly restoreCommand: string;
  /** Stop replay before the first commit after this moment (ISO 8601 with offset). Absent: replay all WAL. */
  readonly targetTime?: string;
  /** Stop replay at this named restore point. */
  readonly targetName?: string;
}

export interface RestoreOptions {
  readonly signal?: AbortSignal;
  /** The `format` the dump was produced with (from the manifest). */
  readonly format: string;
  /**
   * Also recreate the server-wide objects stored with the dump (roles, users and their grants) that the target
   * server lacks, before the data; existing ones are left alone. Sources that store none reject it.
   */
  readonly globals?: boolean;
  /**
   * The `details` the source returned when the backup was made (from its manifest; unsealed for an encrypted
   * backup). Absent when the manifest holds none.
   */
  readonly details?: Readonly<Record<string, unknown>>;
  /**
   * Optional. Called once the dump is restored, with a `query` that runs SQL read-only there: by restoreTest on its
   * scratch target (before the row counts and before it is removed); by restore on the target, after
   * `postRestoreSql`. A rejection fails the call with its message. A source without it ignores it (then tricopy
   * says its assertions cannot run).
   */
  readonly inspect?: (query: SourceQuery) => Promise<void>;
  /**
   * Optional (restore only, a drill's anonymising step): statements run in order, read-write, on the target once the
   * restore is done, before `inspect` (which `restore` then also honours). A failing statement rejects with a
   * SourceError naming it; the restored target is left as it is.
   */
  readonly postRestoreSql?: readonly string[];
  /** Optional (directory targets only): recovery settings to write into the restored data directory. */
  readonly recovery?: RecoverySettings;
}

/**
 * Runs one SQL statement read-only and resolves with the first column of its first row as text (numbers in their
 * decimal form, timestamps as the engine or driver writes them), or null when there is no row or the value is NULL.
 * An SQL error rejects with a SourceError naming the statement's failure.
 */
export type SourceQuery = (sql: string) => Promise<string | null>;

export interface SourceStatus {
  readonly engine: string;
  readonly engineVersion: string;
  readonly toolVersion?: string;
  /** Human-readable notes, e.g. 'pg_dump 15.18 can dump server 15.18'. */
  readonly notes?: readonly string[];
  /**
   * What restores and restore tests need that the source's user lacks, each saying what to grant (backups do not
   * need it), e.g. PostgreSQL's CREATEDB.
   */
  readonly restoreNeeds?: readonly string[];
}

/**
 * Continuous WAL archiving (a PostgreSQL source configured with `wal`). The source receives WAL files into a spool
 * folder; the engine stores each completed file on every destination and acknowledges it once the job's policy holds.
 */
export interface WalArchiving {
  /**
   * Starts receiving completed WAL files into `spool`, a private folder the engine owns and keeps between runs,
   * resuming from the last acknowledged file. Resolves once the receiver runs; `ended` settles when it stops
   * (rejects with a SourceError naming the tool's failure; resolves when `signal` stopped it).
   */
  receive(
    spool: string,
    options: { readonly signal: AbortSignal },
  ): Promise<{ readonly ended: Promise<void> }>;
  /** Whether a file name in the spool is a complete WAL file to store (a segment or a timeline history file). */
  isComplete(name: string): boolean;
  /** Orders complete WAL file names as the server wrote them (Array.prototype.sort comparator). */
  compare(a: string, b: string): number;
  /** Every WAL file up to and including `name` is safely stored: the server may now recycle them. Idempotent. */
  acknowledge(name: string): Promise<void>;
  /** Optional: asks the server to close the current WAL segment now (bounds how much WAL waits in a partial file). */
  switchSegment?(): Promise<void>;
  /**
   * Optional (with switchSegment): the engine calls switchSegment when WAL has waited this long in a partial file
   * (the source's `switchAfter`).
   */
  readonly switchAfterMs?: number;
  /**
   * Optional: creates the named restore point `name` and returns the exact row count of every table at it (writes to
   * those tables wait while they are counted) and the WAL file that holds it, which it then closes so that it is
   * archived. A restore test replays to it and compares the counts exactly.
   */
  markRestorePoint?(name: string): Promise<RestorePointMark>;
}

/** A named restore point: the WAL file holding it, and the rows of every table at it. */
export interface RestorePointMark {
  readonly wal: string;
  readonly tables: readonly TableCount[];
}

export interface Source {
  /** Which restore target this source needs: a file path, a database name or a data directory. */
  readonly restoreTarget: 'file' | 'database' | 'directory';
  /** Present when the source archives WAL continuously (PostgreSQL with `wal`). */
  readonly wal?: WalArchiving;
  /** Where the data comes from, for people: a path or `postgres://user@host:port/db`. No secrets. */
  describe(): string;
  /** Reachable, credentials valid, tools present and compatible. Throws SourceError naming what to fix. */
  check(options?: { signal?: AbortSignal }): Promise<SourceStatus>;
  /** Starts a consistent dump. */
  dump(options?: DumpOptions): Promise<Dump>;
  /** Restores a dump (already decompressed) from `input` into `target`. */
  restore(input: Readable, target: RestoreTarget, options: RestoreOptions): Promise<void>;
  /**
   * Optional. Checks, changing nothing, that `restore` would accept `target` (its folder exists, nothing is in the
   * way unless force, …). Called before any copy is fetched, so a wrong target fails at once rather than after the
   * whole artifact was staged. `restore` still applies its own checks.
   */
  checkRestoreTarget?(target: RestoreTarget): Promise<void>;
  /**
   * Restores into a scratch target that can never collide with a real one, counts rows per table, and
   * removes the scratch target, also when it fails.
   */
  restoreTest(input: Readable, options: RestoreOptions): Promise<readonly TableCount[]>;
  /**
   * Optional. Runs `sql` read-only against the job's own database (a SourceQuery), at backup time: tricopy records
   * its value to compare a restore test's result with. Sources that have it must also honour `RestoreOptions.inspect`.
   */
  query?(sql: string, options?: { signal?: AbortSignal }): Promise<string | null>;
  /**
   * Optional. Removes the scratch targets of restore tests whose process was killed (created before `olderThan`,
   * no longer in use). Called at the start of a job's backup. Resolves with a description of each thing removed.
   */
  sweep?(options: SweepOptions): Promise<readonly string[]>;
  close?(): Promise<void>;
}

export interface SourcePlugin<Options = unknown> extends PluginBase<Options> {
  readonly kind: 'source';
  create(options: Options, context: PluginContext): Source | Promise<Source>;
}

export type Plugin = SourcePlugin<unknown> | DestinationPlugin<unknown>;
