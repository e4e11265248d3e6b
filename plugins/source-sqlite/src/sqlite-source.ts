import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import {
  type Dump,
  type DumpInfo,
  type DumpOptions,
  type Logger,
  type RestoreOptions,
  type RestoreTarget,
  type Source,
  SourceError,
  type SourceStatus,
  type TableCount,
} from '@tricopy/contract';
import Database from 'better-sqlite3';
import { databaseFacts } from './inspect.js';
import { afterRestore, readOnlyQuery } from './query.js';
import { checkFileTarget, restoreFile } from './restore.js';
import { takeSnapshot } from './snapshot.js';
import { snapshotStream } from './snapshot-stream.js';
import { assertDatabaseFile, messageOf, sourceDatabaseError } from './sqlite-errors.js';

export const SQLITE_FORMAT = 'sqlite-database';

export interface SqliteSourceSettings {
  /** Absolute path of the database file. */
  readonly path: string;
  readonly busyTimeoutMs: number;
  /** Instance name, used in every error message. */
  readonly name: string;
  /** The run's scratch folder; snapshots go there (os.tmpdir() if it cannot be created). */
  readonly workDir: string;
  readonly logger: Logger;
}

export class SqliteSource implements Source {
  readonly restoreTarget = 'file' as const;
  private readonly where: string;

  constructor(private readonly settings: SqliteSourceSettings) {
    this.where = `source "${settings.name}"`;
  }

  describe(): string {
    return this.settings.path;
  }

  async check(): Promise<SourceStatus> {
    const { path, busyTimeoutMs } = this.settings;
    await assertDatabaseFile(this.where, path);
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      const facts = databaseFacts(db);
      return {
        engine: 'sqlite',
        engineVersion: facts.engineVersion,
        notes: [`journal_mode=${facts.journalMode}`, `${facts.pageCount * facts.pageSize} bytes`],
      };
    } catch (error) {
      throw sourceDatabaseError(this.where, path, busyTimeoutMs, error);
    } finally {
      db?.close();
    }
  }

  async dump(options: DumpOptions = {}): Promise<Dump> {
    const { signal } = options;
    const { path, busyTimeoutMs } = this.settings;
    signal?.throwIfAborted();
    const dir = await this.scratchFolder();
    const file = join(dir, 'snapshot.sqlite');
    let facts: Awaited<ReturnType<typeof takeSnapshot>>;
    try {
      facts = await takeSnapshot({ where: this.where, path, file, busyTimeoutMs, signal });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    const info: DumpInfo = {
      engine: 'sqlite',
      engineVersion: facts.engineVersion,
      tables: facts.tables,
      details: { journalMode: facts.journalMode, pageSize: facts.pageSize, pageCount: facts.pageCount },
    };
    const snapshot = snapshotStream(file, signal);
    const completion = snapshot.done.then(
      async () => {
        await rm(dir, { recursive: true, force: true });
        return info;
      },
      async (failure: unknown) => {
        await rm(dir, { recursive: true, force: true });
        throw new SourceError(`${this.where}: the dump of ${path} did not complete: ${messageOf(failure)}`, {
          cause: failure,
        });
      },
    );
    completion.catch(() => {}); // the engine observes it; never an unhandled rejection
    return {
      stream: snapshot.stream,
      format: SQLITE_FORMAT,
      extension: 'sqlite',
      sizeHint: facts.pageSize * facts.pageCount,
      completion,
    };
  }

  async restore(input: Readable, target: RestoreTarget, options: RestoreOptions): Promise<void> {
    this.assertFormat(options.format);
    const path = this.targetPath(target);
    await restoreFile(input, {
      where: this.where,
      target: path,
      force: target.force === true,
      signal: options.signal,
      report: (message) => this.settings.logger.info(message),
    });
    await afterRestore(path, options, this.where, this.settings.busyTimeoutMs);
  }

  async checkRestoreTarget(target: RestoreTarget): Promise<void> {
    await checkFileTarget(this.where, this.targetPath(target), target.force === true);
  }

  private targetPath(target: RestoreTarget): string {
    if (!target.path) {
      throw new SourceError(`${this.where}: a SQLite restore needs a target file path (--to <file>)`);
    }
    const path = resolve(target.path);
    if (target.notOwn && path === resolve(this.settings.path))
      throw new SourceError(
        `${this.where}: refusing to restore into ${path}, the very file this job backs up: a drill restores into another file`,
      );
    return path;
  }

  async restoreTest(input: Readable, options: RestoreOptions): Promise<readonly TableCount[]> {
    this.assertFormat(options.format);
    const dir = await this.scratchFolder();
    try {
      const target = join(dir, 'restore-test.sqlite');
      const tables = await restoreFile(input, {
        where: this.where,
        target,
        force: false,
        signal: options.signal,
      });
      await options.inspect?.(async (sql) =>
        readOnlyQuery(target, sql, this.where, this.settings.busyTimeoutMs),
      );
      return tables;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async query(sql: string): Promise<string | null> {
    const { path, busyTimeoutMs } = this.settings;
    await assertDatabaseFile(this.where, path);
    return readOnlyQuery(path, sql, this.where, busyTimeoutMs);
  }

  private assertFormat(format: string): void {
    if (format !== SQLITE_FORMAT) {
      throw new SourceError(
        `${this.where}: cannot restore a "${format}" dump: the sqlite source restores "${SQLITE_FORMAT}" dumps only`,
      );
    }
  }

  /** A fresh private (0700) folder under the run's workDir, else under the system temp folder. */
  private async scratchFolder(): Promise<string> {
    try {
      await mkdir(this.settings.workDir, { recursive: true });
      return await mkdtemp(join(this.settings.workDir, 'sqlite-'));
    } catch {
      return await mkdtemp(join(tmpdir(), 'tricopy-sqlite-'));
    }
  }
}
