import type { Readable } from 'node:stream';
import type {
  Dump,
  DumpOptions,
  PluginContext,
  RestoreOptions,
  RestoreTarget,
  Source,
  SourceStatus,
  SweepOptions,
  TableCount,
} from '@tricopy/contract';
import { childEnv } from '@tricopy/contract';
import {
  loadToolSettings,
  restoreWithGlobals,
  withGlobalsSection,
  withoutGlobals,
} from '@tricopy/plugin-support';
import { binaryVersion, resolveBinary } from './binaries.js';
import { type ConnectionSettings, connect } from './connection.js';
import { databasesOf, probeServer, resolveDumpBinary, startDump } from './dump.js';
import { dumpUsers } from './globals.js';
import { restoreUsers } from './globals-restore.js';
import type { MysqlOptions } from './options.js';
import { afterRestore, readOnlyQuery, refuseOwnDatabase, singleDatabaseOnly } from './query.js';
import { checkTarget, restore, restoreTest } from './restore.js';
import { dropAbandonedScratch } from './scratch.js';

export class MysqlSource implements Source {
  readonly restoreTarget = 'database' as const;
  private settingsPromise: Promise<ConnectionSettings> | undefined;

  constructor(
    private readonly options: MysqlOptions,
    private readonly context: PluginContext,
  ) {}

  private settings(): Promise<ConnectionSettings> {
    this.settingsPromise ??= loadToolSettings(this.options, this.context);
    return this.settingsPromise;
  }

  describe(): string {
    const { user, host, port, socket } = this.options;
    const names = (this.options.databases ?? [this.options.database!]).map(encodeURIComponent).join(',');
    return socket === undefined
      ? `mysql://${encodeURIComponent(user)}@${host}:${port}/${names}`
      : `mysql://${encodeURIComponent(user)}@localhost/${names}?socket=${encodeURIComponent(socket)}`;
  }

  async check(): Promise<SourceStatus> {
    const settings = await this.settings();
    const server = await probeServer(settings);
    const dumpBinary = await resolveDumpBinary(settings);
    const tool = await binaryVersion(dumpBinary, childEnv(), this.context.name);
    const client = await resolveBinary(
      this.options.clientBinary,
      ['mariadb', 'mysql'],
      'clientBinary',
      this.context.configDir,
      this.context.name,
    );
    const notes = [
      `${dumpBinary} ${tool.text} dumps ${databasesOf(settings).join(', ')}`,
      `restores with ${client}`,
    ];
    if (server.engine === 'mariadb' && !tool.mariadb) {
      notes.push('mysqldump from MySQL against MariaDB: prefer mariadb-dump (set dumpBinary)');
    }
    return { engine: server.engine, engineVersion: server.version, toolVersion: tool.text, notes };
  }

  async dump(options?: DumpOptions): Promise<Dump> {
    const settings = await this.settings();
    if (!this.options.globals) return startDump(settings, this.context.workDir, options?.signal);
    const users = await dumpUsers(settings, this.context.logger);
    const dump = await startDump(settings, this.context.workDir, options?.signal);
    return withGlobalsSection(dump, users.sql, { users: users.accounts, roles: users.roles });
  }

  async checkRestoreTarget(target: RestoreTarget): Promise<void> {
    const settings = await this.settings();
    refuseOwnDatabase(settings, target);
    await checkTarget(settings, target);
  }

  async restore(input: Readable, target: RestoreTarget, options: RestoreOptions): Promise<void> {
    const settings = await this.settings();
    refuseOwnDatabase(settings, target);
    const restorer = {
      where: `source "${this.context.name}"`,
      logger: this.context.logger,
      what: 'users and roles',
      recreate: (sql: Buffer) => restoreUsers(settings, sql),
    };
    await restoreWithGlobals(input, options, restorer, (data, dataOptions, beforeData) =>
      restore({ settings, workDir: this.context.workDir, logger: this.context.logger }, data, target, {
        ...dataOptions,
        beforeData,
      }),
    );
    if (target.database !== undefined) await afterRestore(settings, target.database, options);
  }

  async restoreTest(input: Readable, options: RestoreOptions): Promise<readonly TableCount[]> {
    const settings = await this.settings();
    return withoutGlobals(input, options, `source "${this.context.name}"`, (data, dataOptions) =>
      restoreTest(settings, this.context.workDir, data, dataOptions),
    );
  }

  async query(sql: string): Promise<string | null> {
    const settings = await this.settings();
    const where = `source "${this.context.name}"`;
    if (this.options.database === undefined) throw singleDatabaseOnly(where);
    const connection = await connect(settings, this.options.database);
    try {
      return await readOnlyQuery(connection, sql, where);
    } finally {
      await connection.end().catch(() => {});
    }
  }

  /** Drops the `tricopy_restoretest_*` databases that restore tests created and left when they were killed. */
  async sweep(options: SweepOptions): Promise<readonly string[]> {
    const dropped = await dropAbandonedScratch(await this.settings(), options.olderThan);
    return dropped.map((name) => `restore-test database ${name} on ${this.describe()}`);
  }
}
