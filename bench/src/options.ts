import { parseArgs } from 'node:util';

export type EngineName = 'sqlite' | 'postgres' | 'mariadb';
export type SizeName = 'small' | 'large';

export interface BenchOptions {
  readonly sizes: readonly SizeName[];
  readonly engines: readonly EngineName[];
  /** Multiplies every database size. */
  readonly scale: number;
  readonly runs: number;
  /** gzip level used by both tricopy and the usual script. */
  readonly level: number;
  readonly restore: boolean;
  /** Also back up the 3-destination job age-encrypted (rows `tricopy-3-age`, `tricopy-1-age`). */
  readonly encryption: boolean;
  readonly outDir: string;
}

const MiB = 2 ** 20;

/**
 * Raw dump sizes at --scale 1: the sizes (large ≈ 1 GiB of dump for SQLite and PostgreSQL, small 10× smaller).
 * MariaDB's large size is smaller: reloading a SQL dump is slow enough to dominate the run.
 */
export const FULL_SIZES: Record<EngineName, Record<SizeName, number>> = {
  sqlite: { small: 100 * MiB, large: 1000 * MiB },
  postgres: { small: 100 * MiB, large: 1000 * MiB },
  mariadb: { small: 50 * MiB, large: 500 * MiB },
};

export const DEFAULTS = { scale: 0.1, runs: 3, level: 1 } as const;

export const USAGE = `pnpm bench [-- options]

  --size small|large|both          database sizes to run (default both; large = 10x small)
  --scale <factor>                 multiplies the sizes (default ${DEFAULTS.scale}; 1 = large ~1 GiB of dump for SQLite and PostgreSQL)
  --runs <n>                       runs of each measurement; the table shows the median (default ${DEFAULTS.runs})
  --scenarios sqlite,postgres,mariadb   engines to run (default all)
  --level <1-9>                    gzip level for tricopy AND the usual script (default ${DEFAULTS.level})
  --no-restore                     skip the restore and verify --deep measurements
  --encryption                     also run the backups age-encrypted (encryption: { recipients })
  --out <dir>                      results folder (default bench/results)
  -h, --help`;

export function parseOptions(argv: readonly string[], defaultOut: string): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== '--'),
    options: {
      size: { type: 'string', default: 'both' },
      scale: { type: 'string', default: String(DEFAULTS.scale) },
      runs: { type: 'string', default: String(DEFAULTS.runs) },
      scenarios: { type: 'string', default: 'sqlite,postgres,mariadb' },
      level: { type: 'string', default: String(DEFAULTS.level) },
      'no-restore': { type: 'boolean', default: false },
      encryption: { type: 'boolean', default: false },
      out: { type: 'string', default: defaultOut },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const sizes: SizeName[] =
    values.size === 'both'
      ? ['small', 'large']
      : values.size === 'small' || values.size === 'large'
        ? [values.size]
        : [];
  if (sizes.length === 0) throw new Error(`--size must be small, large or both (got "${values.size}")`);
  const engines = values.scenarios.split(',').map((name) => name.trim());
  for (const name of engines) {
    if (!['sqlite', 'postgres', 'mariadb'].includes(name)) {
      throw new Error(`--scenarios: unknown engine "${name}" (use sqlite, postgres, mariadb)`);
    }
  }
  const scale = Number(values.scale);
  if (!(scale > 0)) throw new Error(`--scale must be a positive number (got "${values.scale}")`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs must be a whole number >= 1 (got "${values.runs}")`);
  const level = Number(values.level);
  if (!Number.isInteger(level) || level < 1 || level > 9)
    throw new Error(`--level must be 1-9 (got "${values.level}")`);
  return {
    sizes,
    engines: engines as EngineName[],
    scale,
    runs,
    level,
    restore: !values['no-restore'],
    encryption: values.encryption,
    outDir: values.out,
  };
}
