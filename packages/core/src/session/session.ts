import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import type { Destination, Logger, PluginContext, Source } from '@tricopy/contract';
import type { Catalog } from '../catalog/catalog.js';
import { openCatalog } from '../catalog/open.js';
import type { DestinationSpec, JobSpec, LoadedConfig } from '../config/load.js';
import { ConfigError, describeError, UsageError } from '../util/errors.js';
import { ensurePrivateFolder } from '../util/private-folder.js';

export interface SessionOptions {
  readonly config: LoadedConfig;
  readonly logger: Logger;
  /** Injectable clock (retention and scheduling tests drive time through it). */
  readonly now?: () => Date;
  readonly catalog?: Catalog;
  /** The command only reads the catalog (list, restore): a SQLite one is opened read-only. */
  readonly readOnlyCatalog?: boolean;
  /** The age identity file that restores of encrypted backups decrypt with (read only when one needs it). */
  readonly identityFile?: string;
  /**
   * PostgreSQL's restore_command for a job's archived WAL (this tricopy's `wal-fetch`, built by the CLI): restore
   * tests of jobs that archive WAL replay it. Absent: they test the base backup alone.
   */
  readonly walFetchCommand?: (job: string) => string;
}

/**
 * Everything one tricopy command works with: the config, the catalog, a scratch folder, and the plugin instances,
 * created on first use and closed once at the end.
 */
/** Which stored copy a restore is applying, and how many bytes it holds. */
export interface AppliedRead {
  readonly backupId: string;
  readonly destination: string;
  /** The copy's key on that destination. */
  readonly key: string;
  readonly size: number;
}

/** Where a backup's stream leaves a stage: the source, the compressor, the encryptor. */
export type StageSeam = 'source' | 'compressor' | 'encryptor';

export class Session {
  readonly config: LoadedConfig;
  readonly logger: Logger;
  readonly catalog: Catalog;
  readonly now: () => Date;
  readonly identityFile: string | undefined;
  readonly walFetchCommand: ((job: string) => string) | undefined;
  readonly #destinations = new Map<string, Promise<Destination>>();
  readonly #sources = new Map<string, Promise<Source>>();
  #workDir: Promise<string> | undefined;

  constructor(options: SessionOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.now = options.now ?? (() => new Date());
    this.identityFile = options.identityFile;
    this.walFetchCommand = options.walFetchCommand;
    this.catalog =
      options.catalog ??
      openCatalog(options.config, this.now, options.readOnlyCatalog ? { readOnly: true } : {});
  }

  /**
   * Called with the stream of a staged copy as a restore (or restore test) applies it. Returns it unchanged; a
   * subclass may wrap it to report progress, as the CLI does.
   */
  trackApply(stream: Readable, _read: AppliedRead): Readable {
    return stream;
  }

  /**
   * Test seam: a stream to insert where `stage`'s output leaves it in a backup's pipeline, or undefined (always,
   * outside tests). The fault tests override it to truncate, drop or corrupt the stream there; no config or
   * environment setting reaches it.
   */
  tapStage(_stage: StageSeam, _job: string): Transform | undefined {
    return undefined;
  }

  redact(text: string): string {
    return this.config.redactor.redact(text);
  }

  /** This run's scratch folder, `<workDir>/run-<pid>-<random>`; folders left by runs that were killed are removed. */
  workDir(): Promise<string> {
    this.#workDir ??= ensurePrivateFolder(this.config.workDir, this.config.file)
      .then(() => removeFoldersOfDeadRuns(this.config.workDir, this.logger))
      .then(() => mkdtemp(join(this.config.workDir, `run-${process.pid}-`)));
    return this.#workDir;
  }

  async context(name: string): Promise<PluginContext> {
    const workDir = await this.workDir();
    return {
      name,
      configDir: this.config.dir,
      workDir,
      logger: this.logger,
      redact: (text) => this.redact(text),
    };
  }

  destinationSpec(name: string): DestinationSpec {
    const spec = this.config.destinations.get(name);
    if (spec === undefined) {
      const known = [...this.config.destinations.keys()].join(', ') || 'none';
      throw new UsageError(`unknown destination "${name}" (destinations in the config: ${known})`);
    }
    return spec;
  }

  job(name: string): JobSpec {
    const job = this.config.jobs.get(name);
    if (job === undefined) {
      const known = [...this.config.jobs.keys()].join(', ') || 'none';
      throw new UsageError(`unknown job "${name}" (jobs in the config: ${known})`);
    }
    return job;
  }

  destination(name: string): Promise<Destination> {
    let instance = this.#destinations.get(name);
    if (instance === undefined) {
      const spec = this.destinationSpec(name);
      if (spec.unusable !== undefined)
        return Promise.reject(new ConfigError([spec.unusable], this.config.file));
      instance = this.context(name).then((context) => spec.plugin.create(spec.options, context));
      // A failed creation is not cached, so a later retry can try again.
      instance.catch(() => this.#destinations.delete(name));
      this.#destinations.set(name, instance);
    }
    return instance;
  }

  source(jobName: string): Promise<Source> {
    let instance = this.#sources.get(jobName);
    if (instance === undefined) {
      const job = this.job(jobName);
      if (job.unusable !== undefined)
        return Promise.reject(new ConfigError([job.unusable], this.config.file));
      instance = this.context(jobName).then((context) =>
        job.source.plugin.create(job.source.options, context),
      );
      instance.catch(() => this.#sources.delete(jobName));
      this.#sources.set(jobName, instance);
    }
    return instance;
  }

  /** Drops a destination instance (after a connection failure) so the next use reconnects. */
  async forgetDestination(name: string): Promise<void> {
    const instance = this.#destinations.get(name);
    this.#destinations.delete(name);
    if (instance !== undefined) await closeQuietly(instance, this.logger, `destination "${name}"`);
  }

  async close(): Promise<void> {
    const closing = [
      ...[...this.#destinations].map(([name, d]) => closeQuietly(d, this.logger, `destination "${name}"`)),
      ...[...this.#sources].map(([name, s]) => closeQuietly(s, this.logger, `source of job "${name}"`)),
    ];
    await Promise.all(closing);
    this.#destinations.clear();
    this.#sources.clear();
    if (this.#workDir !== undefined) {
      const dir = await this.#workDir.catch(() => undefined);
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      this.#workDir = undefined;
    }
  }

  closeCatalog(): Promise<void> {
    return this.catalog.close();
  }
}

async function closeQuietly(
  instance: Promise<{ close?: () => Promise<void> }>,
  logger: Logger,
  what: string,
): Promise<void> {
  try {
    const resolved = await instance;
    await resolved.close?.();
  } catch (error) {
    logger.debug(`closing ${what}: ${describeError(error)}`);
  }
}

/** Scratch folders (spools, staged copies, password files) of tricopy processes that no longer exist on this host. */
async function removeFoldersOfDeadRuns(workDir: string, logger: Logger): Promise<void> {
  for (const name of await readdir(workDir).catch(() => [] as string[])) {
    const pid = Number(/^run-(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await rm(join(workDir, name), { recursive: true, force: true });
    logger.info(`removed the scratch folder of an interrupted run: ${join(workDir, name)}`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
