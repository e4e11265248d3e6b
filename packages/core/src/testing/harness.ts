// Engine unit tests: a Session over in-memory destinations (@tricopy/testkit's MemoryDestination) and an in-memory
// source, so faults are injected without any server.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { zstdCompressSync } from 'node:zlib';
import {
  type DumpInfo,
  type Logger,
  type RecoverySettings,
  type Source,
  SourceError,
  type SourcePlugin,
  type WalArchiving,
} from '@tricopy/contract';
import { MemoryDestination, type MemoryDestinationOptions, memoryDestinationPlugin } from '@tricopy/testkit';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { type LoadedConfig, parseConfig } from '../config/load.js';
import { Session, type SessionOptions, type StageSeam } from '../session/session.js';

const FILE_SOURCE = fileURLToPath(new URL('../__fixtures__/file-source.mjs', import.meta.url));

export interface HarnessOptions {
  /** Destination name → options; every job writes to all of them. */
  readonly destinations: Record<string, MemoryDestinationOptions>;
  readonly jobs?: readonly string[];
  /** The dump's bytes, per job (default: 200 KiB of pseudo-random bytes). */
  readonly body?: (job: string) => Buffer;
  readonly retries?: number;
  readonly spool?: boolean;
  readonly stallTimeout?: string;
  /** Extra top-level or per-job YAML (already indented for a job). */
  readonly jobYaml?: string;
  /** Secrets the redactor knows (e.g. a password that equals the job name). */
  readonly secrets?: readonly string[];
  /** Every job's `compression` (default none). */
  readonly compression?: string;
  /** The source takes up the engine's zstd offer (compresses its dump itself, like pg_dump piped into zstd). */
  readonly sourceCompresses?: boolean;
  /** The memory source's `Dump.sizeHint`. */
  readonly sourceSizeHint?: unknown;
  /** The age identity file restores of encrypted backups read. */
  readonly identityFile?: string;
  /** The session's test seam: a stream to insert after a stage of the backup pipeline. */
  readonly tapStage?: (stage: StageSeam, job: string) => Transform | undefined;
  /**
   * The source acts as a PostgreSQL base-backup source with WAL: it restores to a data directory, reports these
   * details for each dump (called at each dump), and records the recovery settings each restore was given.
   */
  readonly base?: { readonly details: () => Record<string, unknown> };
  /** The source's WAL archiving (every job's), e.g. a FakeWal. */
  readonly wal?: WalArchiving;
  /** The config's policy, as YAML flow (default `{ enforce: warn }`). */
  readonly policy?: string;
}

export interface LogLine {
  readonly level: string;
  readonly message: string;
}

export interface Harness {
  readonly dir: string;
  readonly session: Session;
  readonly destinations: Record<string, MemoryDestination>;
  readonly logs: LogLine[];
  /** What a restore applied, per target path, database or directory. */
  readonly restored: Map<string, Buffer>;
  /** The recovery settings each restore (or restore test, under `restore-test`) was given, per target. */
  readonly recoveries: Map<string, RecoverySettings | undefined>;
  /** The DumpOptions.compression each dump was offered, in order. */
  readonly offers: unknown[];
  body(job: string): Buffer;
  close(): Promise<void>;
}

export function pseudoRandom(size: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

export async function harness(options: HarnessOptions): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'tricopy-engine-'));
  await writeFile(join(dir, 'data'), '');
  const jobs = options.jobs ?? ['app'];
  const bodies = new Map(jobs.map((job, i) => [job, options.body?.(job) ?? pseudoRandom(200 * 1024, i + 1)]));
  const names = Object.keys(options.destinations);
  const yaml = [
    'destinations:',
    ...names.map((n) => `  ${n}: { type: local, path: ./d/${n} }`),
    'jobs:',
    ...jobs.flatMap((job) => [
      `  ${job}:`,
      `    source: { type: ${FILE_SOURCE}, path: ./data }`,
      `    destinations: [${names.join(', ')}]`,
      `    compression: ${options.compression ?? 'none'}`,
      `    spool: ${options.spool === true}`,
      ...(options.jobYaml === undefined ? [] : [options.jobYaml]),
    ]),
    'catalog: ./catalog.db',
    'workDir: ./work',
    `retries: { attempts: ${options.retries ?? 2}, minDelay: 1ms, maxDelay: 5ms }`,
    ...(options.stallTimeout === undefined ? [] : [`stallTimeout: ${options.stallTimeout}`]),
    `policy: ${options.policy ?? '{ enforce: warn }'}`,
  ].join('\n');
  const parsed = await parseConfig(yaml, join(dir, 'tricopy.yaml'), {}, TEST_PLUGINS);
  for (const secret of options.secrets ?? []) parsed.redactor.add(secret);
  const destinations = Object.fromEntries(
    names.map((name) => [name, new MemoryDestination({ name, ...options.destinations[name] })]),
  );
  const restored = new Map<string, Buffer>();
  const recoveries = new Map<string, RecoverySettings | undefined>();
  const offers: unknown[] = [];
  const config = withPlugins(
    parsed,
    memoryDestinationPlugin((name) => destinations[name] as MemoryDestination),
    {
      bodyOf: (job) => bodies.get(job) as Buffer,
      restored,
      recoveries,
      offers,
      compresses: options.sourceCompresses === true,
      sizeHint: options.sourceSizeHint,
      ...(options.base === undefined ? {} : { base: options.base }),
      ...(options.wal === undefined ? {} : { wal: options.wal }),
    },
  );
  const logs: LogLine[] = [];
  const session = new TappedSession(options.tapStage, {
    config,
    logger: recordingLogger(logs),
    ...(options.identityFile === undefined ? {} : { identityFile: options.identityFile }),
  });
  return {
    dir,
    session,
    destinations,
    logs,
    restored,
    recoveries,
    offers,
    body: (job) => bodies.get(job) as Buffer,
    close: async () => {
      await session.close();
      await session.closeCatalog();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A session whose test seam is `tap`. */
class TappedSession extends Session {
  readonly #tap: HarnessOptions['tapStage'];

  constructor(tap: HarnessOptions['tapStage'], options: SessionOptions) {
    super(options);
    this.#tap = tap;
  }

  override tapStage(stage: StageSeam, job: string): Transform | undefined {
    return this.#tap?.(stage, job);
  }
}

function withPlugins(
  config: LoadedConfig,
  destinationPlugin: ReturnType<typeof memoryDestinationPlugin>,
  source: MemorySourceSettings & { bodyOf: (job: string) => Buffer },
): LoadedConfig {
  const destinations = new Map(
    [...config.destinations].map(([name, spec]) => [name, { ...spec, plugin: destinationPlugin }]),
  );
  const jobs = new Map(
    [...config.jobs].map(([name, job]) => [
      name,
      {
        ...job,
        source: { ...job.source, plugin: memorySourcePlugin(() => source.bodyOf(name), source) },
      },
    ]),
  );
  return { ...config, destinations, jobs };
}

interface MemorySourceSettings {
  readonly restored: Map<string, Buffer>;
  readonly recoveries: Map<string, RecoverySettings | undefined>;
  readonly base?: HarnessOptions['base'];
  readonly offers: unknown[];
  readonly compresses: boolean;
  readonly sizeHint?: unknown;
  readonly wal?: WalArchiving;
}

/** A source whose dump is `body()`, and whose restore keeps what it was given in `restored`. */
function memorySourcePlugin(body: () => Buffer, settings: MemorySourceSettings): SourcePlugin<unknown> {
  const { restored, recoveries, base } = settings;
  const source: Source = {
    restoreTarget: base === undefined ? 'file' : 'directory',
    ...(settings.wal === undefined && base === undefined ? {} : { wal: settings.wal ?? idleWal }),
    describe: () => 'memory source',
    check: async () => ({ engine: 'memory', engineVersion: '1' }),
    dump: async (options) => {
      settings.offers.push(options?.compression);
      const compress = settings.compresses && options?.compression !== undefined;
      const bytes = compress ? zstdCompressSync(body()) : body();
      const chunks = Array.from({ length: Math.ceil(bytes.length / 16384) }, (_, i) =>
        bytes.subarray(i * 16384, (i + 1) * 16384),
      );
      const stream = Readable.from(chunks);
      const details = base?.details();
      const completion = new Promise<DumpInfo>((resolve, reject) => {
        stream.once('end', () =>
          resolve({ engine: 'memory', engineVersion: '1', ...(details === undefined ? {} : { details }) }),
        );
        stream.once('error', reject);
      });
      return {
        stream,
        format: 'bytes',
        extension: 'bin',
        completion,
        ...(compress ? { compression: 'zstd' as const } : {}),
        ...(settings.sizeHint === undefined ? {} : { sizeHint: settings.sizeHint as number }),
      };
    },
    checkRestoreTarget: async (target) => {
      if (target.path?.startsWith('/missing/')) {
        throw new SourceError(`source "memory": the folder /missing does not exist`);
      }
    },
    restore: async (input, target, options) => {
      const chunks: Buffer[] = [];
      for await (const chunk of input as AsyncIterable<Buffer>) chunks.push(chunk);
      const where = target.path ?? target.database ?? target.directory ?? '';
      restored.set(where, Buffer.concat(chunks));
      recoveries.set(where, options.recovery);
    },
    restoreTest: async (input, options) => {
      recoveries.set('restore-test', options.recovery);
      let size = 0;
      for await (const chunk of input as AsyncIterable<Buffer>) size += chunk.length;
      await options.inspect?.(async () => String(size));
      // A base backup's restored cluster has tables, though its manifest records no counts.
      return base === undefined ? [] : [{ name: 'public.events', rows: 2, exact: true }];
    },
    // Every query answers the dump's size: what the restored bytes give back when they are all there.
    query: async () => String(body().length),
  };
  return {
    kind: 'source',
    contractVersion: 1,
    type: 'memory',
    optionsSchema: { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } },
    create: () => source,
  };
}

/** A WAL archiver that receives nothing: enough for a source to say it archives WAL. */
const idleWal: WalArchiving = {
  receive: async () => ({ ended: Promise.resolve() }),
  isComplete: () => false,
  compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  acknowledge: async () => undefined,
};

function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (message: string): void => {
      lines.push({ level, message });
    };
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
  return logger;
}
