// Chaos against the real servers, through the real CLI: a backup is hit by one fault at a seeded random moment
// (SIGKILL of tricopy, sshd or s3rver killed, pg_dump or mariadb-dump killed, mariadbd killed, a full disk, an SFTP
// folder turning read-only), then the job runs again. The invariants of chaos-invariants.ts are checked after both
// runs; a MariaDB trial also restores the next run's backup and compares its rows with the source's.
// Replay a failing run with TRICOPY_CHAOS_SEED=<seed>; TRICOPY_CHAOS_TRIALS=N adds N random trials.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { listProcesses } from '@tricopy/test-servers';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  crashSigns,
  exitCodeFor,
  inspectStore,
  type StoreOnDisk,
  seededRandom,
  verifiedButDifferent,
} from './chaos-invariants.js';
import {
  bigMariadbTable,
  type MariadbChaos,
  mariadbSource,
  restoredRowsDiffer,
  startMariadbChaos,
} from './chaos-mariadb.js';
import { type BackupJson, filesUnder, startTricopy, tricopy, tricopyJson } from './cli.js';
import { type RemoteEnv, remoteConfig, startRemoteEnv } from './remote-env.js';

const KINDS = [
  'sigkill',
  'sshd-killed',
  's3rver-killed',
  'source-killed',
  'enospc',
  'sftp-readonly',
  'mariadb-dump-killed',
  'mariadb-killed',
] as const;
type Kind = (typeof KINDS)[number];
const isMariadbTrial = (kind: Kind) => kind.startsWith('mariadb-');

const SEED = Number(process.env.TRICOPY_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = seededRandom(SEED);
const extraTrials = Number(process.env.TRICOPY_CHAOS_TRIALS ?? 0);
const trials = [
  ...KINDS,
  ...Array.from({ length: extraTrials }, () => KINDS[Math.floor(random() * KINDS.length)] as Kind),
].map((kind, index) => ({
  index,
  kind,
  /** When the fault hits, after the backup started. */
  delayMs: 200 + Math.floor(random() * 2_300),
  /** How long a killed server stays down. */
  downMs: Math.floor(random() * 3_000),
}));
console.log(`chaos seed ${SEED}: replay with TRICOPY_CHAOS_SEED=${SEED}`);

const BIG_TABLE = `
CREATE TABLE payload (id int PRIMARY KEY, body text NOT NULL);
INSERT INTO payload
  SELECT g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) || md5((g * 31)::text)
  FROM generate_series(1, 200000) g;
`;

let env: RemoteEnv;
let maria: MariadbChaos;
const mounts: string[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  const started = await Promise.allSettled([startRemoteEnv('chaos'), startMariadbChaos()]);
  if (started[0].status === 'fulfilled') env = started[0].value;
  if (started[1].status === 'fulfilled') maria = started[1].value;
  for (const result of started) if (result.status === 'rejected') throw result.reason;
  await Promise.all([
    env.pg.createDatabase('big').then(() => env.pg.sql('big', BIG_TABLE)),
    bigMariadbTable(maria.server, 'big'),
  ]);
});

afterAll(async () => {
  for (const mount of mounts) await execa('umount', ['-l', mount], { reject: false });
  await Promise.allSettled([env?.stop(), maria?.server.stop()]);
});

/** Environment of every tricopy run: the remote servers' secrets and the MariaDB password. */
const runEnv = () => ({ ...env.env, ...maria.env });

/** A small tmpfs, or undefined (with the reason) where this process may not mount. */
async function tmpfs(path: string, size: string): Promise<string | undefined> {
  await mkdir(path, { recursive: true });
  const result = await execa('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path], {
    reject: false,
  });
  if (result.failed) return `cannot mount a tmpfs (${result.stderr.trim() || result.shortMessage})`;
  mounts.push(path);
  return undefined;
}

interface TrialSetup {
  readonly config: string;
  readonly stores: StoreOnDisk[];
  readonly skip?: string;
}

async function setUp(trial: (typeof trials)[number]): Promise<TrialSetup> {
  const local = join(env.ws.dir, `dest-${trial.index}`, 'local');
  let nas = join(env.sshd.rootDir, 'tricopy');
  let skip: string | undefined;
  if (trial.kind === 'enospc') skip = await tmpfs(local, '8m');
  if (trial.kind === 'sftp-readonly') {
    nas = join(env.sshd.rootDir, `ro-${trial.index}`);
    skip = await tmpfs(nas, '256m');
  }
  await mkdir(local, { recursive: true });
  const config = join(env.ws.dir, `chaos-${trial.index}.yaml`);
  const yaml = remoteConfig(env, {
    database: 'big',
    source: '      compressLevel: 0',
    job: '    compression: none',
    sftp: `    hostKey: ${env.sshd.hostKeyFingerprint}\n    retries: 1\n    connectTimeoutMs: 3000`,
    s3: '    partSize: 5242880\n    maxAttempts: 2\n    requestTimeoutMs: 5000\n    operationTimeoutMs: 10000',
    extra: 'catalog: ./chaos.db\nworkDir: ./work',
  })
    .replace('path: ./dest/local', `path: ${local}`)
    .replace(`path: ${env.sshd.rootDir}/tricopy`, `path: ${nas}`);
  await writeFile(config, isMariadbTrial(trial.kind) ? mariadbSource(yaml, maria.server, 'big') : yaml);
  const stores: StoreOnDisk[] = [
    { name: 'local', root: local },
    { name: 'nas', root: nas },
    { name: 'cloud', root: join(env.s3.directory, env.s3.bucket, 'backups'), s3: true },
  ];
  return { config, stores, ...(skip === undefined ? {} : { skip }) };
}

/** Dump processes (`pg_dump`, `mariadb-dump`: the program's base name) started by the tricopy process `parent`. */
async function dumpsOf(parent: number, program: string): Promise<number[]> {
  return (await listProcesses())
    .filter((entry) => entry.ppid === parent && basename(entry.argv[0] ?? '') === program)
    .map((entry) => entry.pid);
}

/** Hits the running backup `pid` with the trial's fault; resolves once the fault is undone (servers back up). */
async function inject(trial: (typeof trials)[number], pid: number, setup: TrialSetup): Promise<void> {
  await sleep(trial.delayMs);
  switch (trial.kind) {
    case 'sigkill':
      killIfAlive(pid);
      return;
    case 'sshd-killed':
      await env.sshd.kill();
      await sleep(trial.downMs);
      await env.sshd.restart();
      return;
    case 's3rver-killed':
      await env.s3.kill();
      await sleep(trial.downMs);
      await env.s3.restart();
      return;
    case 'source-killed':
      await killDumps(pid, 'pg_dump');
      return;
    case 'mariadb-dump-killed':
      await killDumps(pid, 'mariadb-dump');
      return;
    case 'mariadb-killed':
      await maria.server.kill();
      await sleep(trial.downMs);
      await maria.server.restart();
      return;
    case 'sftp-readonly': {
      await remountReadOnly(setup.stores.find((s) => s.name === 'nas')?.root as string, pid);
      return;
    }
    case 'enospc':
      return; // the 8 MB tmpfs fills up by itself
  }
}

/** Kills the backup's dump processes; one not started yet (the source is checked first) is waited for. */
async function killDumps(pid: number, program: string): Promise<void> {
  while (isAlive(pid)) {
    const dumps = await dumpsOf(pid, program);
    for (const dump of dumps) killIfAlive(dump);
    if (dumps.length > 0) return;
    await sleep(20);
  }
}

/**
 * A tmpfs with a file open for writing refuses to turn read-only (EBUSY), so this tries until it is between files
 * (the next upload or the manifest then fails) or the backup has ended.
 */
async function remountReadOnly(nas: string, pid: number): Promise<void> {
  for (;;) {
    const result = await execa('mount', ['-o', 'remount,ro', nas], { reject: false });
    if (result.exitCode === 0) return;
    if (!/busy/i.test(String(result.stderr)) || !isAlive(pid)) return;
    await sleep(20);
  }
}

/** SIGKILL, unless the process has already ended (a short backup can finish before its fault): then the trial has none. */
function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function undo(trial: (typeof trials)[number], setup: TrialSetup): Promise<void> {
  if (trial.kind === 'sftp-readonly') {
    const nas = setup.stores.find((s) => s.name === 'nas')?.root as string;
    await execa('mount', ['-o', 'remount,rw', nas], { reject: false });
  }
}

type Run = BackupJson['runs'][number];

/** Exit code, JSON and stderr of one run, checked against the invariants that hold for any single run. */
async function checkRun(
  label: string,
  result: { code: number; stdout: string; stderr: string },
  stores: StoreOnDisk[],
  killed: boolean,
): Promise<void> {
  expect.soft(crashSigns(result.stderr), `${label}: stderr\n${result.stderr}`).toEqual([]);
  if (killed) return;
  let json: BackupJson | undefined;
  try {
    json = JSON.parse(result.stdout) as BackupJson;
  } catch {
    expect
      .soft(true, `${label}: stdout is not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`)
      .toBe(false);
    return;
  }
  expect
    .soft(result.code, `${label}: exit code for status ${json.status}\n${result.stderr}`)
    .toBe(exitCodeFor(json.status));
  for (const run of json.runs as Run[]) {
    expect.soft(await verifiedButDifferent(run, stores), `${label}: verified copies`).toEqual([]);
  }
}

describe(`chaos against the real servers (seed ${SEED})`, () => {
  for (const trial of trials)
    it(`trial ${trial.index}: ${trial.kind} after ${trial.delayMs} ms`, async (context) => {
      const label = `seed ${SEED} trial ${trial.index} ${trial.kind}`;
      const setup = await setUp(trial);
      if (setup.skip !== undefined) {
        console.warn(`${label}: skipped: ${setup.skip}`);
        context.skip();
        return;
      }
      const child = startTricopy(['backup', '--json', '--config', setup.config], {
        cwd: env.ws.dir,
        env: runEnv(),
      });
      const fault = inject(trial, child.pid as number, setup).then(
        () => undefined,
        (error: unknown) => error,
      );
      const faulted = await child;
      const faultError = await fault;
      await undo(trial, setup);
      if (faultError !== undefined) throw faultError;
      const killed = faulted.signal === 'SIGKILL';
      await checkRun(
        `${label}, faulted run`,
        { code: faulted.exitCode ?? -1, stdout: String(faulted.stdout), stderr: String(faulted.stderr) },
        setup.stores,
        killed,
      );
      for (const store of setup.stores) {
        const state = await inspectStore(store, 'app');
        expect.soft(state.mismatched, `${label}, faulted run: final names that do not match`).toEqual([]);
      }

      const next = await tricopy(['backup', '--json', '--config', setup.config], {
        cwd: env.ws.dir,
        env: runEnv(),
      });
      await checkRun(`${label}, next run`, next, setup.stores, false);
      for (const store of setup.stores) {
        const state = await inspectStore(store, 'app');
        expect.soft(state.mismatched, `${label}, next run: final names that do not match`).toEqual([]);
        expect.soft(state.temps, `${label}, next run: temp uploads left`).toEqual([]);
        expect.soft(state.manifestLess, `${label}, next run: artifacts without a manifest`).toEqual([]);
      }
      const uploads = await filesUnder(join(env.s3.directory, env.s3.bucket, '._S3rver_uploads'));
      expect.soft(uploads, `${label}, next run: multipart uploads left`).toEqual([]);
      const scratch = (await readdir(join(env.ws.dir, 'work')).catch(() => [] as string[])).filter((f) =>
        f.startsWith('run-'),
      );
      expect.soft(scratch, `${label}, next run: scratch folders left`).toEqual([]);
      const list = await tricopyJson<{ backups: { backupId: string; status: string }[] }>(
        ['list', '--config', setup.config],
        { cwd: env.ws.dir, env: runEnv() },
      );
      expect
        .soft(
          list.json.backups.filter((b) => b.status === 'running').map((b) => b.backupId),
          `${label}: backups shown as running`,
        )
        .toEqual([]);
      if (isMariadbTrial(trial.kind)) {
        expect(next.code, `${label}: the next run backs up MariaDB\n${next.stderr}`).toBe(0);
        const target = `restored_${trial.index}`;
        const restore = await tricopy(
          [
            'restore',
            '--config',
            setup.config,
            '--latest',
            '--job',
            'app',
            '--to-database',
            target,
            '--create-database',
          ],
          { cwd: env.ws.dir, env: runEnv() },
        );
        expect.soft(restore.code, `${label}: restore of the next run's backup\n${restore.stderr}`).toBe(0);
        expect
          .soft(await restoredRowsDiffer(maria.server, 'big', target), `${label}: restored rows`)
          .toEqual([]);
      }
    });
});
