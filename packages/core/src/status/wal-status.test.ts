import { afterEach, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../config/load.js';
import { runBackups } from '../schedule/run-backups.js';
import { type Harness, harness } from '../testing/harness.js';
import { baseDetails, storeSegment } from '../testing/wal-fixture.js';
import { fleetStatus, jobStatus } from './fleet-status.js';
import { renderMetrics } from './metrics.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A base backup stopped 10:02:30 (segment 2) and WAL 2..5 stored 10:02..10:05; the source says `wal`. */
async function walJob(
  wal: unknown,
): Promise<{ catalog: Harness['session']['catalog']; config: LoadedConfig }> {
  h = await harness({
    destinations: { local: {} },
    base: { details: () => baseDetails(2, '2026-12-06T10:02:30.000Z') },
  });
  await runBackups(h.session, ['app']);
  for (const n of [2, 3, 4, 5]) await storeSegment(h, n);
  const { config } = h.session;
  const job = config.jobs.get('app') as NonNullable<ReturnType<typeof config.jobs.get>>;
  const source = { ...job.source, options: { ...(job.source.options as object), wal } };
  return { catalog: h.session.catalog, config: { ...config, jobs: new Map([['app', { ...job, source }]]) } };
}

const at = (time: string) => new Date(`2026-12-06T${time}Z`);

describe('WAL status', () => {
  it('reports the recovery window and when WAL last arrived; fleet and job status agree', async () => {
    const sources = await walJob(true);
    const status = await jobStatus(sources, 'app', at('10:30:00'));
    expect(status.wal).toEqual({
      window: { earliest: '2026-12-06T10:02:30.000Z', latest: '2026-12-06T10:05:00.000Z' },
      windowSeconds: 150,
      lastStoredAt: '2026-12-06T10:05:00.000Z',
      staleAfterMs: 3_600_000,
      stale: false,
    });
    expect((await fleetStatus(sources, at('10:30:00')))[0]?.wal).toEqual(status.wal);
    const metrics = await renderMetrics([status]);
    expect(metrics).toContain('tricopy_recovery_window_seconds{job="app"} 150');
    expect(metrics).toContain(
      `tricopy_wal_last_stored_timestamp_seconds{job="app"} ${Date.parse('2026-12-06T10:05:00Z') / 1000}`,
    );
    expect(metrics).toContain('tricopy_wal_stale{job="app"} 0');
  });

  it('is stale when no WAL arrived for an hour, and says so in the attention line', async () => {
    const sources = await walJob(true);
    const status = await jobStatus(sources, 'app', at('11:10:00'));
    expect(status.wal?.stale).toBe(true);
    expect(status.attention).toContain('WAL stale: newest WAL stored 1h 5m ago (expected within 1h)');
    expect(await renderMetrics([status])).toContain('tricopy_wal_stale{job="app"} 1');
  });

  it('waits twice switchAfter when the source sets one', async () => {
    const sources = await walJob({ switchAfter: '5m' });
    expect((await jobStatus(sources, 'app', at('10:14:00'))).wal?.stale).toBe(false);
    expect((await jobStatus(sources, 'app', at('10:16:00'))).wal?.stale).toBe(true);
  });

  it('a job that archives no WAL and has no base backup has no WAL status', async () => {
    h = await harness({ destinations: { local: {} } });
    await runBackups(h.session, ['app']);
    const sources = { catalog: h.session.catalog, config: h.session.config };
    expect((await jobStatus(sources, 'app', at('10:00:00'))).wal).toBeNull();
    expect((await fleetStatus(sources, at('10:00:00')))[0]?.wal).toBeNull();
  });
});
