import type { Readable } from 'node:stream';
import { type Logger, type RestoreOptions, SourceError, type TableCount } from '@tricopy/contract';
import type { ConnectionSettings } from './connection.js';

export interface BaseTestContext {
  readonly settings: ConnectionSettings;
  readonly logger: Logger;
  readonly workDir: string;
}

export async function restoreTestBase(
  { settings }: BaseTestContext,
  _input: Readable,
  _options: RestoreOptions,
): Promise<readonly TableCount[]> {
  throw new SourceError(`source "${settings.instance}": restore tests of base backups are not built yet`);
}

export async function sweepBaseScratch(_workDir: string, _olderThan: Date): Promise<string[]> {
  return [];
}
