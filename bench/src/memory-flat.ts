/**
 * `pnpm --filter @tricopy/bench run bench:memory`: tricopy's peak RSS for a PostgreSQL backup of growing size
 * (default ≈ 100 MiB and ≈ 5 GiB of raw dump), to local + SFTP + S3 and to local only, against the same throwaway
 * servers as `pnpm bench`. The table is flat when the process's memory does not grow with the dump.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeTempDir, type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { startDestinations } from './destinations.js';
import { measure, sh } from './measure.js';
import { median } from './stats.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MIB = 2 ** 20;

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    sizes: { type: 'string', default: '100,5120' },
    runs: { type: 'string', default: '1' },
    jobs: { type: 'string', default: 'fanout,single' },
    cli: { type: 'string', default: join(REPO, 'packages/cli/dist/bin.js') },
    compare: { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});

interface Run {
  readonly build: string;
  readonly job: string;
  readonly sizeMiB: number;
  readonly wallS: number;
  readonly peakMiB: number;
  readonly profile?: Record<string, number>;
  readonly error?: string;
}

const builds: Record<string, string> = { A: resolve(values.cli) };
if (values.compare !== undefined) builds.B = resolve(values.compare);
const sampler = join(REPO, 'bench/dist/memory-sampler.js');

/**
 * Fills `blobs` with base64 lines of random bytes: a raw dump of about `mib` MiB that zstd shrinks to ≈ 76 %.
 * Unlogged (no WAL: half the writing; pg_dump still dumps its rows).
 */
async function fill(server: PostgresServer, mib: number): Promise<void> {
  const randomBytes = Math.round((mib * MIB * 3) / 4);
  await server.sql(
    'blobs',
    'DROP TABLE IF EXISTS blobs; CREATE UNLOGGED TABLE blobs(id bigserial PRIMARY KEY, b text);',
  );
  await server.sql(
    'blobs',
    `COPY blobs(b) FROM PROGRAM 'head -c ${randomBytes} /dev/urandom | base64 -w 3072'; VACUUM ANALYZE blobs;`,
  );
}

function configYaml(destinations: string, server: PostgresServer, workspace: string): string {
  return `${destinations}jobs:
  fanout:
    source: { type: postgres, host: ${server.host}, port: ${server.port}, user: ${server.user}, password: "\${PGPASSWORD}", database: blobs, sslmode: disable }
    destinations: [local, nas, cloud]
  single:
    source: { type: postgres, host: ${server.host}, port: ${server.port}, user: ${server.user}, password: "\${PGPASSWORD}", database: blobs, sslmode: disable }
    destinations: [local]
catalog: ${JSON.stringify(join(workspace, 'catalog.db'))}
workDir: ${JSON.stringify(join(workspace, 'work'))}
retries: { attempts: 0 }
`;
}

interface Bench {
  readonly config: string;
  readonly env: Record<string, string>;
  readonly scratch: string;
  clear(): Promise<void>;
}

/** One backup by one build, measured; a failed backup is recorded with its reason, and the bench goes on. */
async function backup(bench: Bench, build: string, job: string, sizeMiB: number): Promise<Run> {
  const cli = builds[build] as string;
  await bench.clear();
  const profileFile = join(bench.scratch, 'profile.json');
  const profile = values.profile
    ? `NODE_OPTIONS=${sh(`--import ${sampler}`)} TRICOPY_MEMORY_PROFILE=${sh(profileFile)} `
    : '';
  const script = `${profile}node ${sh(cli)} --config ${sh(bench.config)} --json backup ${job} || true`;
  const m = await measure(`${build} backup ${job}`, script, { env: bench.env, scratch: bench.scratch });
  const failure = backupFailure(m.stdout);
  return {
    build,
    job,
    sizeMiB,
    wallS: m.wallMs / 1000,
    peakMiB: m.maxProcessRss / MIB,
    ...(values.profile ? { profile: JSON.parse(await readFile(profileFile, 'utf8')) } : {}),
    ...(failure === undefined ? {} : { error: failure }),
  };
}

/** Why `tricopy --json backup` did not store every copy, or undefined when it did. */
function backupFailure(stdout: string): string | undefined {
  try {
    const json = JSON.parse(stdout) as {
      runs?: { status: string; error?: string; copies: { status: string; error?: string }[] }[];
    };
    const run = json.runs?.[0];
    if (run?.status === 'ok' && run.copies.every((c) => c.status === 'verified')) return undefined;
    return JSON.stringify(run ?? json).slice(0, 400);
  } catch {
    return `not JSON: ${stdout.slice(0, 200)}`;
  }
}

async function main(): Promise<void> {
  const scratch = await makeTempDir('tricopy-bench-memory-');
  const [server, dest] = await Promise.all([startPostgres(), startDestinations(scratch.path)]);
  const runs: Run[] = [];
  try {
    await server.createDatabase('blobs');
    const workspace = join(scratch.path, 'tricopy');
    await mkdir(workspace, { recursive: true });
    const config = join(workspace, 'tricopy.yaml');
    await writeFile(config, configYaml(dest.yaml, server, workspace));
    const bench: Bench = {
      config,
      env: { ...dest.env, PATH: process.env.PATH ?? '', PGPASSWORD: server.password },
      scratch: scratch.path,
      clear: () => dest.clear(),
    };
    const jobs = values.jobs.split(',');
    for (const [index, sizeMiB] of values.sizes.split(',').map(Number).entries()) {
      console.error(`filling ≈ ${sizeMiB} MiB of random blobs`);
      await fill(server, sizeMiB);
      // Unmeasured: every measured backup then has a previous one, so S3 picks its parts the same way at every size.
      if (index === 0) for (const job of jobs) await backup(bench, 'A', job, sizeMiB);
      for (let i = 0; i < Number(values.runs); i++) {
        for (const job of jobs) {
          for (const build of Object.keys(builds)) {
            const run = await backup(bench, build, job, sizeMiB);
            runs.push(run);
            console.error(JSON.stringify(run));
          }
        }
      }
    }
  } finally {
    await Promise.allSettled([server.stop(), dest.stop()]);
    await rm(scratch.path, { recursive: true, force: true });
  }
  console.log(table(runs));
}

function table(runs: readonly Run[]): string {
  const lines = [
    '| build | job | raw dump ≈ MiB | runs | peak RSS MiB (median, max) | wall s (median) | failed |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const keys = [...new Set(runs.map((r) => `${r.build}\t${r.job}\t${r.sizeMiB}`))];
  for (const key of keys) {
    const [build, job, size] = key.split('\t');
    const group = runs.filter((r) => `${r.build}\t${r.job}\t${r.sizeMiB}` === key);
    const peaks = group.map((r) => r.peakMiB);
    lines.push(
      `| ${build} | ${job} | ${size} | ${group.length} | ${median(peaks).toFixed(1)}, ${Math.max(...peaks).toFixed(1)} | ${median(group.map((r) => r.wallS)).toFixed(1)} | ${group.filter((r) => r.error !== undefined).length} |`,
    );
  }
  return lines.join('\n');
}

await main();
