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
}

const builds: Record<string, string> = { A: resolve(values.cli) };
if (values.compare !== undefined) builds.B = resolve(values.compare);
const sampler = join(REPO, 'bench/dist/memory-sampler.js');

/** Fills `blobs` with base64 lines of random bytes: a raw dump of about `mib` MiB that zstd shrinks to ≈ 76 %. */
async function fill(server: PostgresServer, mib: number): Promise<void> {
  const randomBytes = Math.round((mib * MIB * 3) / 4);
  await server.sql(
    'blobs',
    'DROP TABLE IF EXISTS blobs; CREATE TABLE blobs(id bigserial PRIMARY KEY, b text);',
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
    const env = { ...dest.env, PATH: process.env.PATH ?? '', PGPASSWORD: server.password };
    for (const sizeMiB of values.sizes.split(',').map(Number)) {
      console.error(`filling ≈ ${sizeMiB} MiB of random blobs`);
      await fill(server, sizeMiB);
      for (let i = 0; i < Number(values.runs); i++) {
        for (const job of values.jobs.split(',')) {
          for (const [build, cli] of Object.entries(builds)) {
            await dest.clear();
            const profileFile = join(scratch.path, 'profile.json');
            const profile = values.profile
              ? `NODE_OPTIONS=${sh(`--import ${sampler}`)} TRICOPY_MEMORY_PROFILE=${sh(profileFile)} `
              : '';
            const m = await measure(
              `${build} backup ${job}`,
              `${profile}node ${sh(cli)} --config ${sh(config)} --quiet backup ${job}`,
              { env, scratch: scratch.path },
            );
            const run: Run = {
              build,
              job,
              sizeMiB,
              wallS: m.wallMs / 1000,
              peakMiB: m.maxProcessRss / MIB,
              ...(values.profile ? { profile: JSON.parse(await readFile(profileFile, 'utf8')) } : {}),
            };
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
    '| build | job | raw dump ≈ MiB | runs | peak RSS MiB (median, max) | wall s (median) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const keys = [...new Set(runs.map((r) => `${r.build}\t${r.job}\t${r.sizeMiB}`))];
  for (const key of keys) {
    const [build, job, size] = key.split('\t');
    const group = runs.filter((r) => `${r.build}\t${r.job}\t${r.sizeMiB}` === key);
    const peaks = group.map((r) => r.peakMiB);
    lines.push(
      `| ${build} | ${job} | ${size} | ${group.length} | ${median(peaks).toFixed(1)}, ${Math.max(...peaks).toFixed(1)} | ${median(group.map((r) => r.wallS)).toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}

await main();
