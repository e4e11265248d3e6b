import type { PluginContext } from '@tricopy/contract';
import { loadToolSettings } from '@tricopy/plugin-support';
import type { ConnectionSettings } from './connection.js';
import { describePostgres, type PostgresOptions } from './options.js';
import { queryDatabase } from './query.js';

/** What both PostgreSQL sources (mode: dump and mode: base) share: options, settings, description, drill queries. */
export abstract class PostgresSourceCore {
  private settingsPromise: Promise<ConnectionSettings> | undefined;

  constructor(
    protected readonly options: PostgresOptions,
    protected readonly context: PluginContext,
  ) {}

  protected settings(): Promise<ConnectionSettings> {
    this.settingsPromise ??= loadToolSettings(this.options, this.context);
    return this.settingsPromise;
  }

  describe(): string {
    return describePostgres(this.options);
  }

  async query(sql: string): Promise<string | null> {
    return queryDatabase(await this.settings(), this.options.database, sql);
  }
}
