// What one scrape of `tricopy serve` costs on a large catalog (issue #17): fills a catalog with JOBS jobs × BACKUPS
// backups × 3 copies plus verifications, then times `tricopy metrics` (the whole CLI process) and, against a running
// `tricopy serve`, GET /metrics, GET /api/jobs (the dashboard's JSON) and GET / (its page). A measurement, not a test: it asserts
// nothing. --cli runs another build (the code before a change) on the same catalog; --keep leaves the folder for
// farm-bench. --compare OTHER_CLI says whether OTHER_CLI's `tricopy metrics` prints the same on this catalog.
// Run: pnpm --filter @tricopy/bench run bench:metrics -- [--jobs 500] [--backups 60] [--runs 5] [--postgres]
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeTempDir, type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { execa, type ResultPromise } from 'execa';
import { fillStatements } from './metrics-catalog.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    jobs: { type: 'string', default: '500' },
    backups: { type: 'string', default: '60' },
    runs: { type: 'string', default: '5' },
    postgres: { type: 'boolean', default: false },
    cli: { type: 'string', default: join(REPO, 'packages/cli/dist/bin.js') },
    keep: { type: 'boolean', default: false },
    compare: { type: 'string' },
  },
});
const jobs = Number(values.jobs);
const backups = Number(values.backups);
const runs = Number(values.runs);
const cli = resolve(values.cli);

const median = (xs: readonly number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/** Starts `tricopy serve` on a free loopback port and resolves with its URL once it listens. */
async function serve(env: NodeJS.ProcessEnv, cwd: string): Promise<{ child: ResultPromise; url: string }> {
  const child = execa('node', [cli, 'serve', '--listen', '127.0.0.1:0'], {
    cwd,
    env,
    extendEnv: false,
    reject: false,
  });
  let seen = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const found = /on (http:\/\/[^\s"()]+)/.exec(seen)?.[1];
      if (found !== undefined) resolveUrl(found);
    });
    void child.then((r) => reject(new Error(`serve exited ${r.exitCode} before listening: ${r.stderr}`)));
  });
  return { child, url };
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.text();
}

let pg: PostgresServer | undefined;
const dir = await makeTempDir('metrics-bench');
try {
  const names = Array.from({ length: jobs }, (_, i) => `job-${String(i).padStart(4, '0')}`);
  let catalog = './catalog.db';
  if (values.postgres) {
    pg = await startPostgres();
    await pg.createDatabase('catalog');
    catalog = `postgres://${pg.user}:\${PGPASS}@${pg.host}:${pg.port}/catalog`;
  }
  await writeFile(
    join(dir.path, 'tricopy.yaml'),
    `catalog: ${catalog}
destinations:
  near: { type: local, path: ./near, fsync: false }
  usb: { type: local, path: ./usb, media: removable, fsync: false }
  far: { type: local, path: ./far, offsite: true, fsync: false }
workDir: ./work
jobs:
${names.map((n) => `  ${n}: { source: { type: sqlite, path: ./src/${n}.db }, destinations: [near, usb, far], maxAge: 26h }\n`).join('')}`,
  );
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', PGPASS: pg?.password ?? '' };
  const metrics = () => execa('node', [cli, 'metrics'], { cwd: dir.path, env, extendEnv: false });
  await metrics(); // creates (or migrates) the empty catalog
  const fill = fillStatements(names, backups, new Date());
  const filling = await timed(async () => {
    if (pg !== undefined) await pg.sql('catalog', `SET search_path TO tricopy;\n${fill}`);
    else await execa('sqlite3', [join(dir.path, 'catalog.db')], { input: fill });
  });
  const counts = { backups: names.length * backups, copies: names.length * backups * 3 };
  console.log(
    `${values.postgres ? 'PostgreSQL' : 'SQLite'} catalog: ${jobs} jobs × ${backups} backups × 3 copies ` +
      `(${counts.backups} backups, up to ${counts.copies} copies, their verifications), filled in ${filling.toFixed(1)} s; cli ${cli}`,
  );
  if (values.compare !== undefined) {
    const other = await execa('node', [resolve(values.compare), 'metrics'], {
      cwd: dir.path,
      env,
      extendEnv: false,
    });
    const same = other.stdout === (await metrics()).stdout;
    console.log(`${values.compare} prints ${same ? 'the same metrics, byte for byte' : 'DIFFERENT metrics'}`);
  }
  const cliTimes: number[] = [];
  let text = '';
  for (let i = 0; i < runs; i++) cliTimes.push(await timed(async () => (text = (await metrics()).stdout)));
  const server = await serve(env, dir.path);
  try {
    await fetchText(`${server.url}/metrics`); // warm-up: config, catalog connection
    const scrape: number[] = [];
    const api: number[] = [];
    const dashboard: number[] = [];
    for (let i = 0; i < runs; i++) {
      scrape.push(await timed(() => fetchText(`${server.url}/metrics`)));
      api.push(await timed(() => fetchText(`${server.url}/api/jobs`)));
      dashboard.push(await timed(() => fetchText(`${server.url}/`)));
    }
    const series = text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
    console.log(`| measurement | median s | min–max s |\n| --- | --- | --- |`);
    const row = (name: string, xs: number[]) =>
      console.log(
        `| ${name} | ${median(xs).toFixed(3)} | ${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)} |`,
      );
    row('`tricopy metrics` (whole process)', cliTimes);
    row('serve GET /metrics', scrape);
    row('serve GET /api/jobs', api);
    row('serve GET / (dashboard page)', dashboard);
    console.log(`${runs} runs each; /metrics has ${series} series (${text.length} bytes)`);
  } finally {
    server.child.kill('SIGTERM');
    await server.child;
  }
  if (values.keep) console.log(`kept ${dir.path} (PGPASS=${pg?.password ?? ''}); the server is stopped`);
} finally {
  await pg?.stop();
  if (!values.keep) await dir.remove();
}
