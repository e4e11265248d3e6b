import type { TableCount, WalArchiving } from '@tricopy/contract';
import { afterEach, expect, it } from 'vitest';
import type { BackupRow } from '../catalog/catalog.js';
import { segmentName } from '../copies/wal-names.js';
import { runBackups } from '../schedule/run-backups.js';
import { type Harness, harness } from '../testing/harness.js';
import { baseDetails, storeSegment } from '../testing/wal-fixture.js';
import { verifyBackups } from './verify.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const walFetchCommand = (job: string) => `tricopy wal-fetch --job ${job} %f "%p"`;

/** A WAL job whose source marks restore points as `mark` says; the WAL file holding the point is stored by then. */
async function walJob(
  mark: (name: string) => Promise<{ wal: string; tables: TableCount[] }>,
): Promise<Harness> {
  const marked: string[] = [];
  const wal: WalArchiving = {
    receive: async () => ({ ended: Promise.resolve() }),
    isComplete: () => false,
    compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
    acknowledge: async () => undefined,
    markRestorePoint: async (name) => {
      marked.push(name);
      const result = await mark(name);
      await storeSegment(t, 6);
      return result;
    },
  };
  const t = await harness({
    destinations: { local: {}, cloud: { capabilities: {} } },
    base: { details: () => baseDetails(2, '2026-12-06T10:02:30.000Z') },
    wal,
  });
  await runBackups(t.session, ['app']);
  for (const n of [2, 3, 4, 5]) await storeSegment(t, n);
  return t;
}

async function restoreTest(t: Harness) {
  const [backup] = await t.session.catalog.listBackups({ job: 'app' });
  const report = await verifyBackups(t.session, [backup as BackupRow], 'restore-test', { walFetchCommand });
  return report.restoreTests[0];
}

it('replays the WAL to a restore point made on the source and compares its row counts exactly', async () => {
  h = await walJob(async () => ({
    wal: segmentName(1, 6),
    tables: [{ name: 'public.events', rows: 2, exact: true }],
  }));
  const tested = await restoreTest(h);
  expect(tested).toMatchObject({
    status: 'ok',
    tables: [{ name: 'public.events', expected: 2, actual: 2, exact: true }],
  });
  expect(tested?.restorePoint).toMatch(/^tricopy-restore-test-/);
  expect(tested?.countsOnly).toBeUndefined();
  expect(h.recoveries.get('restore-test')).toEqual({
    restoreCommand: 'tricopy wal-fetch --job app %f "%p"',
    targetName: tested?.restorePoint,
  });
});

it('a restored table whose rows differ from the count at the restore point is a mismatch', async () => {
  h = await walJob(async () => ({
    wal: segmentName(1, 6),
    tables: [{ name: 'public.events', rows: 3, exact: true }],
  }));
  expect(await restoreTest(h)).toMatchObject({
    status: 'mismatch',
    tables: [{ name: 'public.events', expected: 3, actual: 2, exact: true }],
  });
});

it('a source that cannot make the restore point (no grant) replays to the end and reports the counts', async () => {
  h = await walJob(async () => {
    throw new Error('permission denied for function pg_create_restore_point');
  });
  const tested = await restoreTest(h);
  expect(tested).toMatchObject({ status: 'ok', countsOnly: true, replayedTo: '2026-12-06T10:05:00.000Z' });
  expect(tested?.restorePoint).toBeUndefined();
});
