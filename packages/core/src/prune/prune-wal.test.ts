import { afterEach, describe, expect, it } from 'vitest';
import { segmentName } from '../copies/wal-names.js';
import { runBackups } from '../schedule/run-backups.js';
import { type Harness, harness } from '../testing/harness.js';
import { baseDetails, storeSegment } from '../testing/wal-fixture.js';
import { pruneBackups } from './prune.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Base backups starting at segments 2 and 4, WAL 1..6 stored on both destinations, retention keepLast 1. */
async function walJob(): Promise<Harness> {
  const stops = [baseDetails(2, '2026-12-06T10:02:30.000Z'), baseDetails(4, '2026-12-06T10:04:30.000Z')];
  const t = await harness({
    destinations: { local: {}, cloud: {} },
    jobYaml: '    retention: { keepLast: 1 }',
    base: { details: () => stops.shift() ?? {} },
  });
  await runBackups(t.session, ['app']);
  await runBackups(t.session, ['app']);
  for (const n of [1, 2, 3, 4, 5, 6]) await storeSegment(t, n);
  return t;
}

const stored = async (t: Harness) => (await t.session.catalog.walSegments('app')).map((f) => f.name);
const names = (...ns: number[]) => ns.map((n) => segmentName(1, n));

describe('pruneWal (through prune)', () => {
  it('removes the WAL before the oldest retained base backup from every destination and the catalog', async () => {
    h = await walJob();
    const report = await pruneBackups(h.session, { jobs: ['app'] });
    expect(report.ok).toBe(true);
    expect(report.jobs[0]?.wal).toEqual({ keptFrom: segmentName(1, 4), removed: names(1, 2, 3), errors: [] });
    expect(await stored(h)).toEqual(names(4, 5, 6));
    for (const store of Object.values(h.destinations)) {
      expect([...store.objects.keys()].filter((k) => k.startsWith('app/wal/')).sort()).toEqual(
        names(4, 5, 6).map((n) => `app/wal/${n}`),
      );
    }
    // WAL objects are not reported as foreign by the backup prune.
    expect(report.jobs[0]?.destinations.every((d) => d.foreign.length === 0)).toBe(true);
  });

  it('a dry run removes nothing', async () => {
    h = await walJob();
    const report = await pruneBackups(h.session, { jobs: ['app'], dryRun: true });
    expect(report.jobs[0]?.wal?.removed).toEqual(names(1));
    expect(await stored(h)).toEqual(names(1, 2, 3, 4, 5, 6));
  });

  it('a copy that cannot be deleted keeps its segment recorded (not counted), reported, for the next prune', async () => {
    h = await walJob();
    const cloud = h.destinations.cloud as NonNullable<typeof h.destinations.cloud>;
    const remove = cloud.delete.bind(cloud);
    cloud.delete = async (key: string) => {
      if (key.startsWith('app/wal/')) throw new Error('EACCES: permission denied');
      return remove(key);
    };
    const report = await pruneBackups(h.session, { jobs: ['app'] });
    expect(report.ok).toBe(false);
    expect(report.jobs[0]?.wal?.errors[0]).toBe(`${segmentName(1, 1)} on cloud: EACCES: permission denied`);
    expect(await stored(h)).toEqual(names(1, 2, 3, 4, 5, 6));
    const copies = await h.session.catalog.walCopies('app', names(1));
    expect(copies.map((c) => [c.destination, c.status])).toEqual([
      ['cloud', 'missing'],
      ['local', 'deleted'],
    ]);
    cloud.delete = remove;
    await pruneBackups(h.session, { jobs: ['app'] });
    expect(await stored(h)).toEqual(names(4, 5, 6));
  });

  it('keeps all WAL while no base backup is retained', async () => {
    h = await harness({ destinations: { local: {} }, jobYaml: '    retention: { keepLast: 1 }' });
    await runBackups(h.session, ['app']);
    await storeSegment(h, 1);
    const report = await pruneBackups(h.session, { jobs: ['app'] });
    expect(report.jobs[0]?.wal).toBeUndefined();
    expect(await stored(h)).toEqual(names(1));
  });
});
