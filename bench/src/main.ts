import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '@tricopy/test-servers';
import { execa } from 'execa';
import { startDestinations } from './destinations.js';
import type { Engine } from './engines/engine.js';
import { mariadbEngine } from './engines/mariadb.js';
import { postgresEngine } from './engines/postgres.js';
import { sqliteEngine } from './engines/sqlite.js';
import { runInShapedNamespace, shapePorts } from './network.js';
import { type BenchOptions, type EngineName, FULL_SIZES, parseOptions, USAGE } from './options.js';
import {
  HEADER,
  markdownTable,
  SUMMARY_HEADER,
  summarize,
  summaryRows,
  tableRows,
  targets,
  textTable,
} from './report.js';
import { type Network, runScenario, type ScenarioResult } from './scenario.js';

const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(BENCH_DIR, '..');
const CLI = join(REPO, 'packages/cli/dist/bin.js');

const ENGINES: Record<EngineName, Engine> = {
  sqlite: sqliteEngine,
  postgres: postgresEngine,
  mariadb: mariadbEngine,
};
const PLUGIN_FOR: Record<EngineName, string> = {
  sqlite: 'plugins/source-sqlite/dist/index.js',
  postgres: 'plugins/source-postgres/dist/index.js',
  mariadb: 'plugins/source-mysql/dist/index.js',
};
const DESTINATION_PLUGINS = [
  'plugins/destination-local/dist/index.js',
  'plugins/destination-sftp/dist/index.js',
  'plugins/destination-s3/dist/index.js',
];

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function preflight(options: BenchOptions): Promise<{ engines: EngineName[]; skipped: string[] }> {
  const missing: string[] = [];
  if (!(await exists(CLI))) missing.push(`${CLI} (run \`pnpm build\`)`);
  for (const plugin of DESTINATION_PLUGINS) {
    if (!(await exists(join(REPO, plugin)))) missing.push(`${plugin} (run \`pnpm build\`)`);
  }
  const tools = [
    '/usr/bin/time',
    'sqlite3',
    'gzip',
    'zstd',
    'sftp',
    ...(options.network ? ['ip', 'tc'] : []),
  ];
  for (const tool of tools) {
    const found = await execa('bash', ['-c', `command -v ${tool}`], { reject: false });
    if (found.exitCode !== 0) missing.push(`${tool} (run \`bash scripts/install-bench-deps.sh\`)`);
  }
  if (missing.length > 0) throw new Error(`pnpm bench needs:\n  ${missing.join('\n  ')}`);
  const engines: EngineName[] = [];
  const skipped: string[] = [];
  for (const name of options.engines) {
    if (await exists(join(REPO, PLUGIN_FOR[name]))) engines.push(name);
    else skipped.push(`${name}: skipped, ${PLUGIN_FOR[name]} is not built (run \`pnpm build\`)`);
  }
  return { engines, skipped };
}

async function machine(): Promise<string> {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`;
}

/** Every scenario on one network: this process's own (bare loopback), or the shaped namespace it runs in. */
async function runAll(options: BenchOptions, engines: EngineName[], network: Network) {
  const scratch = await makeTempDir('bench', 0o755);
  const destinations = await startDestinations(scratch.path);
  const stop = async () => {
    await destinations.stop();
    await scratch.remove();
  };
  process.once('SIGINT', () => {
    void stop().finally(() => process.exit(130));
  });
  const results: ScenarioResult[] = [];
  const versions: string[] = [];
  try {
    if (network === 'shaped')
      await shapePorts({ sftp: destinations.sshd.port, s3: Number(new URL(destinations.s3.endpoint).port) });
    for (const name of engines) {
      const engine = ENGINES[name];
      versions.push(await engine.versions());
      for (const size of options.sizes) {
        const bytes = Math.round(FULL_SIZES[name][size] * options.scale);
        results.push(
          await runScenario({
            engine,
            size,
            bytes,
            options,
            destinations,
            cli: CLI,
            network,
            scratch: scratch.path,
            log: (line) => log(`${network}: ${line}`),
          }),
        );
      }
    }
  } finally {
    await stop();
  }
  const aws =
    destinations.aws === undefined
      ? 'awscli MISSING: S3 copies of the usual script used curl PUT (unsigned)'
      : destinations.aws.version;
  return { results, versions: [...versions, aws] };
}

/** Runs the same bench in a shaped namespace (a child process of this script) and reads back its results. */
async function runShaped(options: BenchOptions, argv: readonly string[]): Promise<ScenarioResult[]> {
  const file = join(options.outDir, `shaped-${process.pid}.json`);
  await mkdir(options.outDir, { recursive: true });
  const self = fileURLToPath(import.meta.url);
  const args = argv.filter((arg) => arg !== '--network' && arg !== '--');
  await runInShapedNamespace([process.execPath, self, ...args, '--shaped-json', file]);
  const results = JSON.parse(await readFile(file, 'utf8')) as ScenarioResult[];
  await import('node:fs/promises').then((fs) => fs.rm(file, { force: true }));
  return results;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const parsed = parseOptions(argv, join(BENCH_DIR, 'results'));
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options = parsed;
  const { engines, skipped } = await preflight(options);
  for (const line of skipped) log(line);
  const started = Date.now();
  if (options.shapedJson !== undefined) {
    const { results } = await runAll(options, engines, 'shaped');
    await writeFile(options.shapedJson, JSON.stringify(results));
    return 0;
  }
  const bare = await runAll(options, engines, 'loopback');
  const versions = bare.versions;
  const results: ScenarioResult[] = [...bare.results];
  if (options.network) results.push(...(await runShaped(options, argv)));
  const totalSeconds = (Date.now() - started) / 1000;
  const summaries = results.map(summarize);
  const notes = [
    `Machine: ${await machine()}. Total bench time ${totalSeconds.toFixed(0)} s.`,
    `Tools: ${[...versions, (await execa('ssh', ['-V'], { reject: false })).stderr.trim(), (await execa('zstd', ['--version'], { reject: false })).stdout.trim()].join('; ')}.`,
    `Sizes: --scale ${options.scale} of the issue's sizes (large ≈ ${(1000 * options.scale).toFixed(0)} MiB of raw dump for SQLite and PostgreSQL, ${(500 * options.scale).toFixed(0)} MiB for MariaDB; small = large / 10)${options.scale < 1 ? ': SCALED DOWN so the default run fits in a few minutes on 2 cores; run --scale 1 for the full sizes' : ''}.`,
    `Compression: tricopy runs with its defaults (no compression keys in the job: zstd level 3; PostgreSQL pg_dump -Fc -Z0 piped into the zstd program). The usual script compresses the way tutorials do (pg_dump -Fc with its own gzip; gzip -${options.level} for SQLite and MariaDB), and the usual script with zstd runs dump | zstd -3 -T0.`,
    `Wall time: median of ${options.runs} run(s), measurements interleaved round-robin. Databases and dumps are in the page cache (RAM ≫ data).`,
    'Peak RSS tree: largest sampled (50 ms) sum of RSS over the measured command and all its children (tricopy: node + pg_dump/mariadb-dump; usual script: bash + dump tool + gzip + cp/sftp/ssh/aws). Largest process: GNU time %M. tricopy RSS: VmHWM of the node process. Server processes (database, sshd, s3rver) are not counted in RSS on either side.',
    'CPU s, all processes: median over runs of user + system seconds of the command and every process it waited for (GNU time %U + %S: node, pg_dump, zstd, ssh, aws …) plus what the database server, sshd and s3rver used meanwhile (/proc/<pid>/stat utime + stime + cutime + cstime of each server and its descendants, read before and after). It is the machine-wide cost of one backup, to set beside the wall time: on 2 cores, CPU that one side spends and the other does not is what the wall time cannot hide.',
    'The usual script does not verify its copies and cp does not fsync; tricopy fsyncs local copies and cross-checks the size and SHA-256 of every copy before reporting success.',
    "tricopy's destinations run with their defaults too (S3: automatic 5 MiB parts after a job's first backup, 16 MiB for the first, 2 in flight). The usual script's stage times are in [brackets].",
    "Physical bound (× bound column): the slowest stage alone — dump | zstd measured alone, and on the shaped network the compressed bytes at 200 Mbit/s (S3) and 800 Mbit/s (SFTP). 1× = as fast as the slowest stage allows. The usual script's copy stages [in brackets] hold their tools' start-up too (awscli takes about 1 s to start).",
    ...(options.network
      ? [
          'Shaped: the whole run (servers and clients) inside a private network namespace whose loopback is shaped with tc HTB per server port, both directions: SFTP 800 Mbit/s, S3 200 Mbit/s; the database is not shaped. No added latency (netem is not available here).',
        ]
      : []),
    ...skipped,
  ];
  const table = textTable(HEADER, tableRows(results));
  const summary = textTable(SUMMARY_HEADER, summaryRows(summaries));
  const targetLines = targets(summaries);
  process.stdout.write(
    `\n${table}\n\n${summary}\n\nTargets:\n${targetLines.map((l) => `  ${l}`).join('\n')}\n\nNotes:\n${notes.map((n) => `  - ${n}`).join('\n')}\n`,
  );

  await mkdir(options.outDir, { recursive: true });
  const date = new Date().toISOString();
  await writeFile(
    join(options.outDir, 'latest.json'),
    `${JSON.stringify({ date, options, notes, results, summaries, targets: targetLines }, null, 2)}\n`,
  );
  const markdown = [
    `# tricopy benchmark, ${date.slice(0, 10)}`,
    '',
    `Options: --size ${options.sizes.length === 2 ? 'both' : options.sizes[0]} --scale ${options.scale} --runs ${options.runs} --scenarios ${options.engines.join(',')} --level ${options.level}${options.restore ? '' : ' --no-restore'}${options.network ? ' --network' : ''}`,
    '',
    markdownTable(HEADER, tableRows(results)),
    '',
    markdownTable(SUMMARY_HEADER, summaryRows(summaries)),
    '',
    '## Targets',
    '',
    ...targetLines.map((l) => `- ${l}`),
    '',
    '## Notes',
    '',
    ...notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
  await writeFile(join(options.outDir, 'latest.md'), markdown);
  log(`wrote ${join(options.outDir, 'latest.json')} and latest.md`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
