import { describe, expect, it } from 'vitest';
import {
  type AnomalyLimits,
  anomalyLimits,
  type Candidate,
  type ComparedBackup,
  describeAnomalies,
  findAnomalies,
  previousComparable,
} from './anomaly-check.js';

const limits: AnomalyLimits = {
  tableShrink: 0.5,
  minRows: 100,
  sizeShrink: { keep: 0.5, name: 'shrinkThreshold 0.5' },
};

const table = (name: string, rows: number, exact = true) => ({ name, rows, exact });

function backup(id: string, size: number, tables?: ComparedBackup['tables']): ComparedBackup {
  return { id, size, compression: 'zstd', tables };
}

const previous = backup('B1', 10_000, [table('orders', 10_000), table('users', 500), table('tiny', 10)]);

describe('previousComparable', () => {
  const row = (seq: number, over: Partial<Candidate> = {}): Candidate => ({
    id: `b${seq}`,
    seq,
    sourceType: 'postgres',
    size: 1000,
    flagged: null,
    confirmedAt: null,
    ...over,
  });

  it('is the newest earlier backup of the same source type, skipping unconfirmed flags', () => {
    const current = row(5);
    const good = [current, row(4, { flagged: 'x' }), row(3, { sourceType: 'mysql' }), row(2), row(1)];
    expect(previousComparable(good, current)?.id).toBe('b2');
    expect(previousComparable([current, row(4, { flagged: 'x', confirmedAt: 't' })], current)?.id).toBe('b4');
  });

  it('is none when the job only backed up another source type before', () => {
    const current = row(2, { sourceType: 'mysql' });
    expect(previousComparable([current, row(1)], current)).toBeUndefined();
  });
});

describe('findAnomalies', () => {
  it('finds nothing when rows and size barely moved', () => {
    const current = backup('B2', 9_800, [table('orders', 9_900), table('users', 480), table('tiny', 1)]);
    expect(findAnomalies(current, previous, limits)).toEqual([]);
  });

  it('names a table that lost more than tableShrink of its rows', () => {
    const current = backup('B2', 9_000, [table('orders', 1_000), table('users', 500), table('tiny', 10)]);
    const found = findAnomalies(current, previous, limits);
    expect(found.map((a) => [a.kind, a.table])).toEqual([['table-shrunk', 'orders']]);
    expect(describeAnomalies(found)).toBe(
      'table orders lost 90.0% of its rows (10000 → 1000 since backup B1), above tableShrink 50%',
    );
  });

  it('does not flag a table that lost exactly tableShrink of its rows', () => {
    const current = backup('B2', 9_000, [table('orders', 5_000), table('users', 500), table('tiny', 10)]);
    expect(findAnomalies(current, previous, limits)).toEqual([]);
  });

  it('names a table that disappeared, and ignores tables under minRows', () => {
    const current = backup('B2', 9_000, [table('orders', 10_000)]);
    const found = findAnomalies(current, previous, limits);
    expect(found.map((a) => [a.kind, a.table])).toEqual([['table-missing', 'users']]);
    expect(found[0]?.reason).toBe('table users disappeared (500 rows in backup B1)');
  });

  it('reads only a disappearance from an estimated count', () => {
    const estimated = backup('B1', 10_000, [table('orders', 10_000, false), table('logs', 200, false)]);
    const current = backup('B2', 10_000, [table('orders', 10, false)]);
    expect(findAnomalies(current, estimated, limits).map((a) => a.table)).toEqual(['logs']);
  });

  it('compares no tables when either side has none (an encrypted backup without an identity)', () => {
    expect(findAnomalies(backup('B2', 9_000), previous, limits)).toEqual([]);
    expect(findAnomalies(backup('B2', 9_000, []), backup('B1', 10_000), limits)).toEqual([]);
  });

  it('turns the table check off at tableShrink 0', () => {
    const current = backup('B2', 9_000, [table('orders', 0)]);
    expect(findAnomalies(current, previous, { ...limits, tableShrink: 0 })).toEqual([]);
  });

  it('flags a dump below sizeShrink of the previous size, quoting the setting', () => {
    const found = findAnomalies(backup('B2', 4_000), backup('B1', 10_000), limits);
    expect(found.map((a) => a.kind)).toEqual(['size-shrunk']);
    expect(found[0]?.reason).toMatch(/is 40\.0% of the previous backup B1 .*, below shrinkThreshold 0\.5$/);
  });

  it('flags growth only when sizeGrowth is set, and beyond it', () => {
    const grown = backup('B2', 35_000);
    expect(findAnomalies(grown, backup('B1', 10_000), limits)).toEqual([]);
    const withGrowth = { ...limits, sizeGrowth: 2 };
    expect(findAnomalies(backup('B2', 30_000), backup('B1', 10_000), withGrowth)).toEqual([]);
    const found = findAnomalies(grown, backup('B1', 10_000), withGrowth);
    expect(found.map((a) => a.kind)).toEqual(['size-grown']);
    expect(found[0]?.reason).toMatch(/is 350\.0% of the previous backup B1 .*, above sizeGrowth 200%$/);
  });

  it('compares no sizes across compressions or from an empty previous dump', () => {
    const gzip = { ...backup('B1', 10_000), compression: 'gzip' };
    expect(findAnomalies(backup('B2', 100), gzip, limits)).toEqual([]);
    expect(findAnomalies(backup('B2', 100), backup('B1', 0), limits)).toEqual([]);
  });

  it('lists every anomaly in one reason, size first', () => {
    const current = backup('B2', 1_000, [table('users', 500)]);
    expect(describeAnomalies(findAnomalies(current, previous, limits))).toMatch(
      /^.* below shrinkThreshold 0\.5; table orders disappeared \(10000 rows in backup B1\)$/,
    );
  });
});

describe('anomalyLimits', () => {
  const retention = { auto: false, shrinkThreshold: 0.3 };

  it("keeps today's retention.shrinkThreshold (default 0.5) when sizeShrink is not set", () => {
    expect(anomalyLimits({})).toEqual({
      tableShrink: 0.5,
      minRows: 100,
      sizeShrink: { keep: 0.5, name: 'shrinkThreshold 0.5' },
      sizeGrowth: undefined,
    });
    expect(anomalyLimits({ retention }).sizeShrink).toEqual({ keep: 0.3, name: 'shrinkThreshold 0.3' });
  });

  it('lets anomalies.sizeShrink replace shrinkThreshold; 0 turns the check off', () => {
    const anomalies = { tableShrink: 0.9, minRows: 10, sizeShrink: 0.8, sizeGrowth: 3 };
    const limits = anomalyLimits({ retention, anomalies });
    expect(limits.sizeShrink?.keep).toBeCloseTo(0.2);
    expect(limits).toMatchObject({ tableShrink: 0.9, minRows: 10, sizeGrowth: 3 });
    expect(limits.sizeShrink?.name).toBe('sizeShrink 80%');
    const off = anomalyLimits({ anomalies: { ...anomalies, sizeShrink: 0 } });
    expect(findAnomalies(backup('B2', 1), backup('B1', 10_000), off)).toEqual([]);
  });
});
