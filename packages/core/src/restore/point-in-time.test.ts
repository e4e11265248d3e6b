import { afterEach, describe, expect, it } from 'vitest';
import { parseRecoveryTime } from '../copies/recovery-target.js';
import { segmentName } from '../copies/wal-names.js';
import { runBackups } from '../schedule/run-backups.js';
import { type Harness, harness } from '../testing/harness.js';
import { baseDetails, storeSegment } from '../testing/wal-fixture.js';
import { restoreToPoint } from './point-in-time.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Two base backups (segment 2, stopped 10:02:30; segment 4, stopped 10:04:30) and WAL segments 2..6. */
async function pitrJob(): Promise<{ h: Harness; first: string; second: string }> {
  const stops = [baseDetails(2, '2026-12-06T10:02:30.000Z'), baseDetails(4, '2026-12-06T10:04:30.000Z')];
  const t = await harness({
    destinations: { local: {}, cloud: {} },
    base: { details: () => stops.shift() ?? {} },
  });
  const first = (await runBackups(t.session, ['app'])).runs[0]?.backupId as string;
  const second = (await runBackups(t.session, ['app'])).runs[0]?.backupId as string;
  for (const n of [2, 3, 4, 5, 6]) await storeSegment(t, n);
  return { h: t, first, second };
}

const time = (text: string) => ({ time: parseRecoveryTime(text) });
const options = { directory: '/restore/here', restoreCommand: "tricopy wal-fetch --job app %f '%p'" };

describe('restoreToPoint', () => {
  it('restores the newest base backup stopped before the time, with the recovery target', async () => {
    const job = await pitrJob();
    h = job.h;
    const result = await restoreToPoint(h.session, 'app', time('2026-12-06 10:03:10+00'), options);
    expect(result.backupId).toBe(job.first);
    expect(result.targetTime).toBe('2026-12-06 10:03:10+00:00');
    expect(result.window).toEqual({
      earliest: '2026-12-06T10:02:30.000Z',
      latest: '2026-12-06T10:06:00.000Z',
    });
    expect(h.restored.get('/restore/here')).toEqual(h.body('app'));
    expect(h.recoveries.get('/restore/here')).toEqual({
      restoreCommand: options.restoreCommand,
      targetTime: '2026-12-06 10:03:10+00:00',
    });
  });

  it('--latest restores the newest base backup with no target', async () => {
    const job = await pitrJob();
    h = job.h;
    const result = await restoreToPoint(h.session, 'app', { latest: true }, options);
    expect(result.backupId).toBe(job.second);
    expect(result.walReaches).toBe('2026-12-06T10:06:00.000Z');
    expect(h.recoveries.get('/restore/here')).toEqual({ restoreCommand: options.restoreCommand });
  });

  it('refuses a time whose WAL has a gap on every destination, naming the gap, and restores nothing', async () => {
    const job = await pitrJob();
    h = job.h;
    for (const destination of ['local', 'cloud'])
      await h.session.catalog.recordWalCopy({
        job: 'app',
        name: segmentName(1, 3),
        destination,
        status: 'failed',
      });
    await expect(restoreToPoint(h.session, 'app', time('2026-12-06 10:04:00+00'), options)).rejects.toThrow(
      `no base backup of job app has WAL reaching 2026-12-06 10:04:00+00:00: WAL ${segmentName(1, 3)} has no verified copy on any destination`,
    );
    expect(h.restored.size).toBe(0);
  });

  it('a segment verified on one destination only is enough to restore', async () => {
    const job = await pitrJob();
    h = job.h;
    await h.session.catalog.recordWalCopy({
      job: 'app',
      name: segmentName(1, 3),
      destination: 'local',
      status: 'failed',
    });
    const result = await restoreToPoint(h.session, 'app', time('2026-12-06 10:04:00+00'), options);
    expect(result.backupId).toBe(job.first);
  });

  it('refuses a time outside the window before reading anything', async () => {
    h = (await pitrJob()).h;
    await expect(restoreToPoint(h.session, 'app', time('2026-12-06 10:07:00+00'), options)).rejects.toThrow(
      "--time 2026-12-06 10:07:00+00:00 is after job app's recovery window (2026-12-06T10:02:30.000Z .. 2026-12-06T10:06:00.000Z): choose a time inside it, or --latest",
    );
  });
});
