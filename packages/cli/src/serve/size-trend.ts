import type { Catalog } from '@tricopy/core';

/** How many of a job's newest backups its size trend shows. */
export const TREND_BACKUPS = 20;

/** The sizes of a job's newest good backups (pruned ones too: they are its history), oldest first. */
export async function sizeTrend(catalog: Catalog, job: string): Promise<number[]> {
  return (await catalog.listBackups({ job, statuses: ['ok', 'degraded'] }))
    .flatMap((b) => (b.size === null ? [] : [b.size]))
    .slice(0, TREND_BACKUPS)
    .reverse();
}
