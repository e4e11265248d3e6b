import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Destinations } from './destinations.js';
import { checkedPipeline, type Engine } from './engines/engine.js';
import { type Measured, measure, sh } from './measure.js';
import type { BenchOptions, SizeName } from './options.js';
import { rootsOf } from './server-cpu.js';
import { median } from './stats.js';

export type RowKind =
  | 'floor-dump'
  | 'floor-zstd'
  | 'floor-checked'
  | 'usual'
  | 'usual-zstd'
  | 'tricopy-3'
  | 'tricopy-1'
  | 'tricopy-3-age'
  | 'tricopy-1-age'
  | 'floor-restore'
  | 'tricopy-restore'
  | 'floor-read'
  | 'tricopy-verify-deep';

export const ROW_LABELS: Record<RowKind, string> = {
  'floor-dump': 'floor: dump tool alone → /dev/null',
  'floor-zstd': 'floor: dump | zstd -3 -T0 → /dev/null',
  'floor-checked':
    "floor with tricopy's checks, by programs: dump | zstd → file; dump, output, its decoding, file read back hashed",
  usual: "usual script, the tool's compression (pg_dump -Fc / gzip): → tmp, cp, sftp, aws s3 cp",
  'usual-zstd': 'usual script with zstd: dump | zstd -3 -T0 → tmp, cp, sftp, aws s3 cp',
  'tricopy-3': 'tricopy defaults → local + SFTP + S3',
  'tricopy-1': 'tricopy defaults → local only',
  'tricopy-3-age': 'tricopy defaults → local + SFTP + S3, age-encrypted',
  'tricopy-1-age': 'tricopy defaults → local only, age-encrypted',
  'floor-restore': 'floor: restore tool alone from raw dump',
  'tricopy-restore': 'tricopy restore --latest',
  'floor-read': 'floor: read the 3 copies alone (cat, sftp, aws)',
  'tricopy-verify-deep': 'tricopy verify --deep (3 copies)',
};

export interface Row {
  readonly kind: RowKind;
  readonly label: string;
  readonly wallMs: readonly number[];
  readonly medianMs: number;
  /** Largest sampled sum of RSS over the command's process tree, over all runs. */
  readonly peakTreeRss: number;
  /** GNU time %M over all runs: largest single process. */
  readonly maxProcessRss: number;
  /** Largest VmHWM per process name over all runs. */
  readonly peakByName: Record<string, number>;
  /** Median over runs of user + system CPU ms of every process involved: the command's tree and each server. */
  readonly cpuMs: { readonly total: number; readonly tree: number; readonly servers: Record<string, number> };
  /** Total bytes written to destinations (all copies), when the row stores anything. */
  readonly bytesStored?: number;
  /** Median per-stage seconds of the usual script (dump+gzip, cp, sftp, s3). */
  readonly stagesMs?: Record<string, number>;
  /** Why this measurement failed (its figures, if any, are from the runs before the failure). */
  readonly error?: string;
}

export type Network = 'loopback' | 'shaped';

export interface ScenarioResult {
  readonly engine: Engine['name'];
  /** Bare loopback, or the namespace whose loopback is shaped per port (SFTP 800 Mbit/s, S3 200 Mbit/s). */
  readonly network: Network;
  readonly size: SizeName;
  readonly description: string;
  readonly rawDumpBytes: number;
  readonly compressedBytes: number;
  readonly generateMs: number;
  readonly rows: readonly Row[];
}

interface TricopyBackupJson {
  status: string;
  runs: {
    status: string;
    size: number | null;
    copies: { destination: string; status: string; size: number | null }[];
  }[];
}

function aggregate(kind: RowKind, runs: Measured[], extra: Partial<Row> = {}): Row {
  const peakByName: Record<string, number> = {};
  for (const run of runs) {
    for (const [name, bytes] of Object.entries(run.peakByName))
      peakByName[name] = Math.max(peakByName[name] ?? 0, bytes);
  }
  const wallMs = runs.map((r) => r.wallMs);
  const medianOf = (values: number[]) => (values.length === 0 ? Number.NaN : median(values));
  const serverNames = [...new Set(runs.flatMap((r) => Object.keys(r.serverCpuMs)))];
  const cpuMs = {
    total: medianOf(runs.map((r) => r.treeCpuMs + Object.values(r.serverCpuMs).reduce((a, b) => a + b, 0))),
    tree: medianOf(runs.map((r) => r.treeCpuMs)),
    servers: Object.fromEntries(
      serverNames.map((name) => [name, medianOf(runs.map((r) => r.serverCpuMs[name] ?? 0))]),
    ),
  };
  return {
    kind,
    label: ROW_LABELS[kind],
    wallMs,
    medianMs: wallMs.length === 0 ? Number.NaN : median(wallMs),
    peakTreeRss: Math.max(0, ...runs.map((r) => r.peakTreeRss)),
    maxProcessRss: Math.max(0, ...runs.map((r) => r.maxProcessRss)),
    peakByName,
    cpuMs,
    ...extra,
  };
}

/** Stage durations from the `mark <stage> <EPOCHREALTIME>` lines the usual script prints. */
function stages(stdout: string, startedMark: number): Record<string, number> {
  const result: Record<string, number> = {};
  let previous = startedMark;
  for (const line of stdout.split('\n')) {
    const match = /^mark (\S+) (\d+\.\d+)$/.exec(line.trim());
    if (!match) continue;
    const at = Number(match[2]) * 1000;
    result[match[1] as string] = at - previous;
    previous = at;
  }
  return result;
}

export interface ScenarioContext {
  readonly engine: Engine;
  readonly size: SizeName;
  readonly bytes: number;
  readonly options: BenchOptions;
  readonly destinations: Destinations;
  readonly cli: string;
  readonly network: Network;
  readonly scratch: string;
  readonly log: (line: string) => void;
}

/** An X25519 recipient whose identity nobody keeps: the benchmark only encrypts. */
const BENCH_RECIPIENT = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

/** The fanout and single jobs again, encrypted to one recipient (--encryption). */
function encryptedJobs(sourceYaml: string): string {
  const job = (name: string, destinations: string) => `  ${name}:
    source: ${sourceYaml}
    destinations: [${destinations}]
    encryption: { recipients: [${BENCH_RECIPIENT}] }
`;
  return job('fanout-age', 'local, nas, cloud') + job('single-age', 'local');
}

export async function runScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { engine, options, destinations: dest, log } = ctx;
  const L = options.level;
  const dir = join(ctx.scratch, `${engine.name}-${ctx.size}`);
  await mkdir(dir, { recursive: true });
  log(`${engine.name} ${ctx.size}: generating ~${(ctx.bytes / 2 ** 20).toFixed(0)} MiB of dump`);
  const generateStarted = Date.now();
  const db = await engine.prepare(ctx.bytes, dir);
  try {
    const generateMs = Date.now() - generateStarted;
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      ...dest.env,
      ...db.env,
    };
    const servers = await rootsOf({
      ...(db.serverPort === undefined ? {} : { [engine.name]: db.serverPort }),
      sshd: dest.sshd.port,
      s3rver: Number(new URL(dest.s3.endpoint).port),
    });
    const run = (label: string, script: string) =>
      measure(label, script, { env, scratch: dir, cwd: dir, servers });

    const raw = join(dir, 'raw.dump');
    await run('raw dump', db.dumpToFile(raw));
    const rawDumpBytes = (await stat(raw)).size;
    log(`${engine.name} ${ctx.size}: ${db.description}; raw dump ${(rawDumpBytes / 2 ** 20).toFixed(1)} MiB`);

    const workspace = join(dir, 'tricopy');
    await mkdir(workspace, { recursive: true });
    const config = join(workspace, 'tricopy.yaml');
    await writeFile(
      config,
      `${dest.yaml}jobs:
  fanout:
    source: ${db.sourceYaml}
    destinations: [local, nas, cloud]
  single:
    source: ${db.sourceYaml}
    destinations: [local]
${options.encryption ? encryptedJobs(db.sourceYaml) : ''}catalog: ${JSON.stringify(join(workspace, 'catalog.db'))}
workDir: ${JSON.stringify(join(workspace, 'work'))}
retries: { attempts: 0 }
`,
    );
    const tricopy = (args: string[]) =>
      `node ${sh(ctx.cli)} --config ${sh(config)} --quiet ${args.map(sh).join(' ')}`;

    const measured: Record<RowKind, Measured[]> = {
      'floor-dump': [],
      'floor-zstd': [],
      'floor-checked': [],
      usual: [],
      'usual-zstd': [],
      'tricopy-3': [],
      'tricopy-1': [],
      'tricopy-3-age': [],
      'tricopy-1-age': [],
      'floor-restore': [],
      'tricopy-restore': [],
      'floor-read': [],
      'tricopy-verify-deep': [],
    };
    const failures: Partial<Record<RowKind, string>> = {};
    /** Runs one measurement; a failure is recorded for its row (shown in the table) and the row is not run again. */
    const attempt = async (kind: RowKind, label: string, script: string): Promise<Measured | undefined> => {
      if (failures[kind] !== undefined) return undefined;
      try {
        const m = await run(label, script);
        measured[kind].push(m);
        return m;
      } catch (error) {
        failures[kind] = (error instanceof Error ? error.message : String(error))
          .split('\n')
          .slice(0, 3)
          .join(' ')
          .slice(0, 300);
        log(`${engine.name} ${ctx.size}: ${label} FAILED: ${failures[kind]}`);
        return undefined;
      }
    };
    const usualStages: Record<'usual' | 'usual-zstd', Record<string, number>[]> = {
      usual: [],
      'usual-zstd': [],
    };
    const usualStored: Record<'usual' | 'usual-zstd', number> = { usual: 0, 'usual-zstd': 0 };
    let tricopy3Stored = 0;
    let tricopy1Stored = 0;
    let compressedBytes = 0;

    const backup = async (
      kind: 'tricopy-3' | 'tricopy-1' | 'tricopy-3-age' | 'tricopy-1-age',
      job: string,
    ): Promise<number> => {
      const m = await attempt(kind, `tricopy backup ${job}`, tricopy(['--json', 'backup', job]));
      if (m === undefined) return 0;
      const json = JSON.parse(m.stdout) as TricopyBackupJson;
      const result = json.runs[0];
      if (result?.status !== 'ok' || result.copies.some((c) => c.status !== 'verified')) {
        measured[kind].pop();
        failures[kind] = `not every copy verified: ${m.stdout.slice(0, 300)}`;
        return 0;
      }
      compressedBytes = result.size ?? 0;
      return result.copies.reduce((sum, c) => sum + (c.size ?? 0), 0);
    };

    /** The usual script: dump (compressed) into a temp file, then cp, sftp, aws s3 cp one after another. */
    const usualScript = async (kind: 'usual' | 'usual-zstd', dumpStep: string, name: string) => {
      const tmp = join(dir, 'usual-tmp');
      const m = await attempt(
        kind,
        kind,
        `echo "mark start $EPOCHREALTIME"\n${dumpStep}\necho "mark dump $EPOCHREALTIME"\n${dest.copySequentially(tmp, name)}\nrm -f ${sh(tmp)}`,
      );
      if (m === undefined) return;
      const startMark = /^mark start (\d+\.\d+)$/m.exec(m.stdout);
      usualStages[kind].push(stages(m.stdout, Number(startMark?.[1] ?? 0) * 1000));
      usualStored[kind] = (await dest.storedBytes(name)).reduce((a, b) => a + b, 0);
    };

    // Round-robin over the measurements so a slow moment of the machine does not fall on one side only.
    for (let i = 0; i < options.runs; i++) {
      log(`${engine.name} ${ctx.size}: backup run ${i + 1}/${options.runs}`);
      await dest.clear();
      await attempt('floor-dump', 'dump alone', db.dumpToNull);
      await attempt('floor-zstd', 'dump | zstd alone', db.dumpZstd('/dev/null'));
      await attempt(
        'floor-checked',
        'dump | zstd with the checks',
        checkedPipeline(db.dumpToStdout, join(dir, 'checked.zst')),
      );
      await usualScript('usual', db.dumpCompressed(join(dir, 'usual-tmp'), L), `${engine.name}-${i}.dump`);
      await usualScript('usual-zstd', db.dumpZstd(join(dir, 'usual-tmp')), `${engine.name}-${i}.zst`);
      tricopy3Stored = await backup('tricopy-3', 'fanout');
      tricopy1Stored = await backup('tricopy-1', 'single');
      if (options.encryption) {
        await backup('tricopy-3-age', 'fanout-age');
        await backup('tricopy-1-age', 'single-age');
      }
    }

    if (options.restore) {
      for (let i = 0; i < options.runs; i++) {
        log(`${engine.name} ${ctx.size}: restore and verify run ${i + 1}/${options.runs}`);
        await attempt('floor-restore', 'restore alone', db.restoreFloor(raw, i));
        await attempt(
          'tricopy-restore',
          'tricopy restore',
          tricopy(['restore', '--latest', '--job', 'fanout', ...db.restoreArgs(i)]),
        );
        await db.dropRestoreTargets();
        await attempt(
          'floor-read',
          'read copies alone',
          dest.readCopies(`${engine.name}-${options.runs - 1}.zst`),
        );
        await attempt(
          'tricopy-verify-deep',
          'tricopy verify --deep',
          tricopy(['verify', '--latest', '--job', 'fanout', '--deep']),
        );
      }
    }
    await rm(raw, { force: true });
    await dest.clear();

    const stagesOf = (kind: 'usual' | 'usual-zstd') => {
      const runs = usualStages[kind];
      const names = Object.keys(runs[0] ?? {}).filter((name) => name !== 'start');
      return Object.fromEntries(names.map((name) => [name, median(runs.map((st) => st[name] ?? 0))]));
    };
    const extraFor = (kind: RowKind): Partial<Row> => {
      if (kind === 'usual' || kind === 'usual-zstd')
        return { bytesStored: usualStored[kind], stagesMs: stagesOf(kind) };
      if (kind === 'tricopy-3') return { bytesStored: tricopy3Stored };
      if (kind === 'tricopy-1') return { bytesStored: tricopy1Stored };
      return {};
    };
    const rows: Row[] = [];
    for (const kind of Object.keys(measured) as RowKind[]) {
      if (failures[kind] !== undefined) {
        rows.push({ ...aggregate(kind, measured[kind]), error: failures[kind] });
        continue;
      }
      if (measured[kind].length === 0) continue;
      rows.push(aggregate(kind, measured[kind], extraFor(kind)));
    }
    return {
      engine: engine.name,
      network: ctx.network,
      size: ctx.size,
      description: db.description,
      rawDumpBytes,
      compressedBytes,
      generateMs,
      rows,
    };
  } finally {
    await db.close();
  }
}
