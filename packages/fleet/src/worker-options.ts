import type { Logger } from '@tricopy/contract';
import type { Catalog, LoadedConfig } from '@tricopy/core';

export interface WorkerOptions {
  readonly config: LoadedConfig;
  readonly catalog: Catalog;
  readonly logger: Logger;
  /** Runs at once in this process. */
  readonly concurrency: number;
  /** Aborts once: stop taking runs and let the running ones finish. */
  readonly stop: AbortSignal;
  /** Aborts once: stop the running ones too; they go back to the queue and run again elsewhere. */
  readonly handBack: AbortSignal;
}
