import { access, mkdir, writeFile } from 'node:fs/promises';
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
import { runScenario, type ScenarioResult } from './scenario.js';

const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(BENCH_DIR, '..');
const CLI = join(REPO, 'packages/cli/dist/bin.js');
const GZIP_ALONE = join(BENCH_DIR, 'dist/tools/gzip-alone.js');

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
  for (const tool of ['/usr/bin/time', 'sqlite3', 'gzip', 'sftp']) {
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

async function main(): Promise<number> {
  const parsed = parseOptions(process.argv.slice(2), join(BENCH_DIR, 'results'));
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options = parsed;
  const { engines, skipped } = await preflight(options);
  for (const line of skipped) log(line);
  const scratch = await makeTempDir('bench', 0o755);
  const destinations = await startDestinations(scratch.path);
  const stop = async () => {
    await destinations.stop();
    await scratch.remove();
  };
  process.once('SIGINT', () => {
    void stop().finally(() => process.exit(130));
  });
  const started = Date.now();
  const results: ScenarioResult[] = [];
  const versions: string[] = [];
  try {
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
            gzipAlone: GZIP_ALONE,
            scratch: scratch.path,
            log,
          }),
        );
      }
    }
  } finally {
    await stop();
  }
  const totalSeconds = (Date.now() - started) / 1000;
  const summaries = results.map(summarize);
  const notes = [
    `Machine: ${await machine()}. Total bench time ${totalSeconds.toFixed(0)} s.`,
    `Tools: ${[...versions, destinations.aws === undefined ? 'awscli MISSING: S3 copies of the usual script used curl PUT (unsigned)' : destinations.aws.version, (await execa('ssh', ['-V'], { reject: false })).stderr.trim()].join('; ')}.`,
    `Sizes: --scale ${options.scale} of the issue's sizes (large ≈ ${(1000 * options.scale).toFixed(0)} MiB of raw dump for SQLite and PostgreSQL, ${(500 * options.scale).toFixed(0)} MiB for MariaDB; small = large / 10)${options.scale < 1 ? ': SCALED DOWN so the default run fits in a few minutes on 2 cores; run --scale 1 for the full sizes' : ''}.`,
    `Compression: gzip -${options.level} on both sides (tricopy: Node zlib in-process; usual script: gzip CLI). PostgreSQL is dumped with pg_dump -Fc -Z0 on both sides so gzip does the compressing.`,
    `Wall time: median of ${options.runs} run(s), measurements interleaved round-robin. Databases and dumps are in the page cache (RAM ≫ data).`,
    'Peak RSS tree: largest sampled (50 ms) sum of RSS over the measured command and all its children (tricopy: node + pg_dump/mariadb-dump; usual script: bash + dump tool + gzip + cp/sftp/ssh/aws). Largest process: GNU time %M. tricopy RSS: VmHWM of the node process. Server processes (database, sshd, s3rver) are not counted on either side.',
    'The usual script does not verify its copies and cp does not fsync; tricopy fsyncs local copies and cross-checks the size and SHA-256 of every copy before reporting success.',
    `tricopy's S3 destination is given partSize ${8} MiB (the AWS CLI's default multipart chunk); the usual script's stage times in [brackets] are its floor for each destination write.`,
    '"bounded by": the slowest stage measured alone (dump alone, Node gzip alone, or a destination write from the usual script); "tricopy 3 / bound" near 1× means tricopy runs at that stage\'s speed.',
    ...skipped,
  ];
  const table = textTable(HEADER, tableRows(results));
  const summary = textTable(SUMMARY_HEADER, summaryRows(summaries));
  const targetLines = targets(results, summaries);
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
    `Options: --size ${options.sizes.length === 2 ? 'both' : options.sizes[0]} --scale ${options.scale} --runs ${options.runs} --scenarios ${options.engines.join(',')} --level ${options.level}${options.restore ? '' : ' --no-restore'}`,
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
