import type { LoadedConfig } from '@tricopy/core';

/** Throws when a queued message was queued under another config than this worker's. */
export function refuseStaleConfig(
  queuedWith: string,
  what: string,
  worker: string,
  config: LoadedConfig,
): void {
  if (queuedWith === config.configHash) return;
  throw new Error(
    `${worker} refused ${what}: it was queued with config ${queuedWith.slice(0, 12)}, ` +
      `this worker has ${config.configHash.slice(0, 12)} (${config.file}); give every worker and daemon the same config file`,
  );
}
