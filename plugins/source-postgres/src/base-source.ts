import type { Readable } from 'node:stream';
import type {
  Dump,
  PluginContext,
  RestoreOptions,
  RestoreTarget,
  Source,
  SourceStatus,
  SweepOptions,
  TableCount,
  WalArchiving,
} from '@tricopy/contract';
import { childEnv } from '@tricopy/contract';
import { startBaseBackup } from './base-backup.js';
import { checkDirectoryTarget, restoreBase, targetDirectory } from './base-restore.js';
import { restoreTestBase, sweepBaseScratch } from './base-restore-test.js';
import { assertBaseBackupCanReadServer, baseRestoreNeeds, clusterFacts } from './base-server.js';
import { resolveTool, toolVersion } from './binaries.js';
import type { PostgresOptions } from './options.js';
import { PostgresSourceCore } from './source-core.js';
import { PostgresWalArchiving } from './wal-archiving.js';

/** A PostgreSQL cluster backed up physically (mode: base): pg_basebackup tars restored into data directories. */
export class PostgresBaseSource extends PostgresSourceCore implements Source {
  readonly restoreTarget = 'directory' as const;
  /** Present with the `wal` option: continuous archiving through pg_receivewal. */
  readonly wal?: WalArchiving;

  constructor(options: PostgresOptions, context: PluginContext) {
    super(options, context);
    if (options.wal !== undefined && options.wal !== false) {
      this.wal = new PostgresWalArchiving(options, context, () => this.settings());
    }
  }

  async check(): Promise<SourceStatus> {
    const settings = await this.settings();
    const facts = await clusterFacts(settings);
    const { configDir, name } = this.context;
    const file = await resolveTool('pg_basebackup', this.options, configDir, name);
    const tool = await toolVersion(file, childEnv(), name);
    assertBaseBackupCanReadServer(name, file, tool, facts.server);
    const restoreNeeds = await baseRestoreNeeds(settings, facts.server);
    const notes = [
      `pg_basebackup ${tool.text} can back up server ${facts.server.version} (role may replicate)`,
      `system identifier ${facts.systemIdentifier}; rows are counted by restore tests, not by backups`,
    ];
    return {
      engine: 'postgresql',
      engineVersion: facts.server.version,
      toolVersion: tool.text,
      notes,
      ...(restoreNeeds.length === 0 ? {} : { restoreNeeds }),
    };
  }

  async dump(options?: { signal?: AbortSignal }): Promise<Dump> {
    return startBaseBackup(await this.settings(), this.context.workDir, options?.signal);
  }

  async checkRestoreTarget(target: RestoreTarget): Promise<void> {
    const settings = await this.settings();
    await checkDirectoryTarget(settings, targetDirectory(settings, target));
  }

  async restore(input: Readable, target: RestoreTarget, options: RestoreOptions): Promise<void> {
    const settings = await this.settings();
    await restoreBase({ settings, logger: this.context.logger }, input, target, options);
  }

  async restoreTest(input: Readable, options: RestoreOptions): Promise<readonly TableCount[]> {
    const settings = await this.settings();
    return restoreTestBase(
      { settings, logger: this.context.logger, workDir: this.context.workDir },
      input,
      options,
    );
  }

  /** Removes what killed restore tests left outside the run's work folder. */
  async sweep(options: SweepOptions): Promise<readonly string[]> {
    return sweepBaseScratch(options.olderThan);
  }
}
