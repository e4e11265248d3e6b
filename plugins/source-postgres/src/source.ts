import type { Readable } from 'node:stream';
import type {
  Dump,
  DumpOptions,
  RestoreOptions,
  RestoreTarget,
  Source,
  SourceStatus,
  SweepOptions,
  TableCount,
} from '@tricopy/contract';
import { childEnv } from '@tricopy/contract';
import { restoreWithGlobals, withGlobalsSection, withoutGlobals } from '@tricopy/plugin-support';
import { resolveTool, toolVersion } from './binaries.js';
import { connect } from './connection.js';
import { createdbNeed, lacksCreatedb } from './createdb.js';
import { assertToolCanReadServer, serverInfo, startDump } from './dump.js';
import { dumpGlobals, restoreGlobals } from './globals.js';
import { afterRestore, refuseOwnDatabase } from './query.js';
import { assertCanReadDump } from './read-access.js';
import { checkTarget, restore, restoreTest } from './restore.js';
import { dropAbandonedScratch } from './scratch.js';
import { PostgresSourceCore } from './source-core.js';

export class PostgresSource extends PostgresSourceCore implements Source {
  readonly restoreTarget = 'database' as const;

  async check(): Promise<SourceStatus> {
    const settings = await this.settings();
    const client = await connect(settings, this.options.database);
    let server: Awaited<ReturnType<typeof serverInfo>>;
    let restoreNeeds: string[];
    try {
      server = await serverInfo(client);
      restoreNeeds = (await lacksCreatedb(client)) ? [createdbNeed(this.options.user)] : [];
      await assertCanReadDump(client, {
        instance: `source "${this.context.name}"`,
        user: this.options.user,
        excludeTables: this.options.excludeTables,
        ...(this.options.schemas === undefined ? {} : { schemas: this.options.schemas }),
      });
    } finally {
      await client.end().catch(() => {});
    }
    const pgDump = await resolveTool('pg_dump', this.options, this.context.configDir, this.context.name);
    const tool = await toolVersion(pgDump, childEnv(), this.context.name);
    assertToolCanReadServer(this.context.name, pgDump, tool, server);
    const restoreTool = this.options.format === 'custom' ? 'pg_restore' : 'psql';
    const restorer = await resolveTool(restoreTool, this.options, this.context.configDir, this.context.name);
    const notes = [`pg_dump ${tool.text} can dump server ${server.version}`, `${restoreTool}: ${restorer}`];
    if (this.options.globals) {
      const dumpall = await resolveTool(
        'pg_dumpall',
        this.options,
        this.context.configDir,
        this.context.name,
      );
      notes.push(`globals: roles with pg_dumpall ${dumpall}`);
    }
    return {
      engine: 'postgresql',
      engineVersion: server.version,
      toolVersion: tool.text,
      notes,
      ...(restoreNeeds.length === 0 ? {} : { restoreNeeds }),
    };
  }

  async dump(options?: DumpOptions): Promise<Dump> {
    const settings = await this.settings();
    const { workDir, logger } = this.context;
    if (!this.options.globals) return startDump(settings, workDir, options?.signal, options?.compression);
    // The globals section goes in front of the dump: no zstd pipe, pg_dump compresses itself as before.
    const globals = await dumpGlobals(settings, workDir, logger, options?.signal);
    const dump = await startDump(settings, workDir, options?.signal);
    return withGlobalsSection(dump, globals.sql, { roles: globals.roles });
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
      what: 'roles',
      recreate: (sql: Buffer) => restoreGlobals(settings, sql),
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

  /** Drops the `tricopy_restoretest_*` databases that restore tests created and left when they were killed. */
  async sweep(options: SweepOptions): Promise<readonly string[]> {
    const dropped = await dropAbandonedScratch(await this.settings(), options.olderThan);
    return dropped.map((name) => `restore-test database ${name} on ${this.describe()}`);
  }
}
