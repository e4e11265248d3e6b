import { afterEach, describe, expect, it } from 'vitest';
import type { BackupRow } from '../catalog/catalog.js';
import { segmentName } from '../copies/wal-names.js';
import { runBackups } from '../schedule/run-backups.js';
import { type Harness, harness } from '../testing/harness.js';
import { baseDetails, storeSegment } from '../testing/wal-fixture.js';
import { checkConfig } from './check.js';
import { verifyBackups } from './verify.js';
import { verifyWal } from './verify-wal.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function walJob(): Promise<Harness> {
  const t = await harness({
    destinations: { local: {}, cloud: { capabilities: {} } },
    base: { details: () => baseDetails(2, '2026-12-06T10:02:30.000Z') },
  });
  await runBackups(t.session, ['app']);
  for (const n of [2, 3, 4, 5]) await storeSegment(t, n);
  return t;
}

describe('verifyWal', () => {
  it('checks every copy and finds the WAL continuous on every destination', async () => {
    h = await walJob();
    const report = await verifyWal(h.session, 'app', { deep: true });
    expect(report).toMatchObject({ checked: 8, failed: [], ok: true });
    expect(report?.continuity).toMatchObject({
      from: segmentName(1, 2),
      newest: segmentName(1, 5),
      segments: 4,
    });
  });

  it('deep: a flipped byte in a store without hashes is found, marked failed, and the continuity says where', async () => {
    h = await walJob();
    const bytes = h.destinations.cloud?.objects.get(`app/wal/${segmentName(1, 3)}`) as Buffer;
    bytes[0] = (bytes[0] as number) ^ 1;
    expect((await verifyWal(h.session, 'app', { deep: false }))?.ok).toBe(true);
    const report = await verifyWal(h.session, 'app', { deep: true });
    expect(report?.failed).toEqual([
      expect.objectContaining({ name: segmentName(1, 3), destination: 'cloud', status: 'checksum-mismatch' }),
    ]);
    expect(report?.continuity.unverified).toEqual([
      { destination: 'cloud', count: 1, first: [segmentName(1, 3)] },
    ]);
    const copies = await h.session.catalog.walCopies('app', [segmentName(1, 3)]);
    expect(copies.find((c) => c.destination === 'cloud')?.status).toBe('failed');
  });

  it('a job with no base backup has no WAL verification', async () => {
    h = await harness({ destinations: { local: {} } });
    await runBackups(h.session, ['app']);
    expect(await verifyWal(h.session, 'app', { deep: true })).toBeUndefined();
  });
});

describe('check', () => {
  it('fails on a WAL gap after the oldest base backup, and names it', async () => {
    h = await walJob();
    expect((await checkConfig(h.session)).jobs[0]?.wal?.ok).toBe(true);
    await h.session.catalog.deleteWalSegment('app', segmentName(1, 4));
    const report = await checkConfig(h.session);
    expect(report.ok).toBe(false);
    expect(report.jobs[0]?.wal?.gaps).toEqual([
      { after: segmentName(1, 3), missing: segmentName(1, 4), resumesAt: segmentName(1, 5) },
    ]);
  });
});

describe('restore test of a base backup', () => {
  it('reports the counts of a base backup, which records none, instead of failing every table', async () => {
    h = await walJob();
    const [backup] = await h.session.catalog.listBackups({ job: 'app' });
    const report = await verifyBackups(h.session, [backup as BackupRow], 'restore-test');
    expect(report.restoreTests[0]).toMatchObject({
      status: 'ok',
      countsOnly: true,
      tables: [{ name: 'public.events', actual: 2, exact: false }],
    });
    expect(h.recoveries.get('restore-test')).toBeUndefined();
  });

  it('replays the WAL when given the restore command, after checking it has no gap', async () => {
    h = await walJob();
    const [backup] = await h.session.catalog.listBackups({ job: 'app' });
    const walFetchCommand = (job: string) => `tricopy wal-fetch --job ${job} %f "%p"`;
    const report = await verifyBackups(h.session, [backup as BackupRow], 'restore-test', { walFetchCommand });
    expect(report.restoreTests[0]).toMatchObject({ status: 'ok', replayedTo: '2026-12-06T10:05:00.000Z' });
    expect(h.recoveries.get('restore-test')).toEqual({
      restoreCommand: 'tricopy wal-fetch --job app %f "%p"',
    });
    await h.session.catalog.deleteWalSegment('app', segmentName(1, 3));
    const gap = await verifyBackups(h.session, [backup as BackupRow], 'restore-test', { walFetchCommand });
    expect(gap.restoreTests[0]?.status).toBe('error');
    expect(gap.restoreTests[0]?.error).toContain(`${segmentName(1, 3)} has no verified copy`);
  });
});
