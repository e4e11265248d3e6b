import { sh } from '../measure.js';

/** zstd as the usual script with zstd runs it: level 3 (its default), every core. */
export const ZSTD = 'zstd -3 -T0 -q';

const SHA256 = 'openssl dgst -sha256 -r';

/**
 * The dump | zstd floor with the checks tricopy makes, done by programs: the dump hashed, the output decompressed
 * again and hashed (the proof that it decodes to the dump), the output hashed, written to `path`, read back and
 * hashed; fails when the proof or the read-back differs. `openssl dgst` uses the CPU's SHA instructions as Node does
 * (coreutils' sha256sum does not, and took 5× longer here). What no tool can do faster on the same cores.
 */
export function checkedPipeline(dumpToStdout: string, path: string): string {
  const out = sh(path);
  return [
    'checks=$(mktemp -d)',
    'mkfifo "$checks/raw" "$checks/artifact" "$checks/decoded"',
    `${SHA256} < "$checks/raw" > "$checks/raw.sum" &`,
    `${SHA256} < "$checks/artifact" > "$checks/artifact.sum" &`,
    `zstd -q -d -c < "$checks/decoded" | ${SHA256} > "$checks/decoded.sum" &`,
    `${dumpToStdout} | tee "$checks/raw" | ${ZSTD} | tee "$checks/artifact" "$checks/decoded" > ${out}`,
    'wait',
    `${SHA256} < ${out} > "$checks/copy.sum"`,
    'cmp -s "$checks/raw.sum" "$checks/decoded.sum" || { echo "checked floor: the output does not decode to the dump" >&2; exit 1; }',
    'cmp -s "$checks/artifact.sum" "$checks/copy.sum" || { echo "checked floor: the copy read back differs" >&2; exit 1; }',
    `rm -rf "$checks" ${out}`,
  ].join('\n');
}

/** What the benchmark needs from one database engine, as bash snippets and tricopy config. */
export interface PreparedDatabase {
  /** e.g. `orders: 1,000,000 rows`. */
  readonly description: string;
  /** Environment the snippets need (passwords go here, never into argv). */
  readonly env: Record<string, string>;
  /** The database server's TCP port (its CPU is counted with each measurement); none for SQLite. */
  readonly serverPort?: number;
  /** The dump tool alone, its output discarded: the read floor. */
  readonly dumpToNull: string;
  /** The raw dump (PostgreSQL: `-Fc -Z0`) on standard output: what tricopy's source reads. */
  readonly dumpToStdout: string;
  /** Writes the raw (uncompressed) dump to `path`. */
  dumpToFile(path: string): string;
  /**
   * The usual script's first step, compressed the way tutorials do: `pg_dump -Fc` with its own compression, or the
   * dump piped to `gzip -<level>`; into `path`.
   */
  dumpCompressed(path: string, level: number): string;
  /** The dump (PostgreSQL: `-Fc -Z0`) piped to the `zstd` program (`-3 -T0`), into `path` (`/dev/null`: the floor). */
  dumpZstd(path: string): string;
  /** tricopy `source:` block with the plugin's defaults, as YAML flow mapping (secrets as ${VARS} taken from `env`). */
  readonly sourceYaml: string;
  /** Restores the raw dump at `rawPath` into fresh target number `n` with the engine's own tool alone. */
  restoreFloor(rawPath: string, n: number): string;
  /** Arguments that make `tricopy restore` write fresh target number `n`. */
  restoreArgs(n: number): string[];
  /** Removes restore targets, to keep disk use low between runs. */
  dropRestoreTargets(): Promise<void>;
  close(): Promise<void>;
}

export interface Engine {
  readonly name: 'sqlite' | 'postgres' | 'mariadb';
  /** Tool versions for the report. */
  versions(): Promise<string>;
  /** A database whose raw dump is about `bytes` long. */
  prepare(bytes: number, scratch: string): Promise<PreparedDatabase>;
}

/** The same table in every engine: an orders table whose dump compresses about 3× with gzip -1, like real data. */
export const ROW_COUNT_PER_MIB = { sqlite: 8_200, postgres: 9_400, mariadb: 9_000 } as const;

export const GENERATE_BATCH = 1_000_000;
