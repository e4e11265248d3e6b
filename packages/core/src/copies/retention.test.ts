import { describe, expect, it } from 'vitest';
import { applyRetention, isoWeek, type KeepRules } from './retention.js';

// The snapshot list of restic's TestApplyPolicy (internal/restic/snapshot_policy_test.go), untagged ones only
// where tags do not matter; duplicates keep distinct ids.
const RESTIC_TIMES = [
  '2014-09-01 10:20:30',
  '2014-09-02 10:20:30',
  '2014-09-05 10:20:30',
  '2014-09-06 10:20:30',
  '2014-09-08 10:20:30',
  '2014-09-09 10:20:30',
  '2014-09-10 10:20:30',
  '2014-09-11 10:20:30',
  '2014-09-20 10:20:30',
  '2014-09-22 10:20:30',
  '2014-08-08 10:20:30',
  '2014-08-10 10:20:30',
  '2014-08-12 10:20:30',
  '2014-08-13 10:20:30',
  '2014-08-13 10:20:30.1',
  '2014-08-15 10:20:30',
  '2014-08-18 10:20:30',
  '2014-08-20 10:20:30',
  '2014-08-21 10:20:30',
  '2014-08-22 10:20:30',
  '2014-10-01 10:20:30',
  '2014-10-02 10:20:30',
  '2014-10-05 10:20:30',
  '2014-10-06 10:20:30',
  '2014-10-08 10:20:30',
  '2014-10-09 10:20:30',
  '2014-10-10 10:20:30',
  '2014-10-11 10:20:30',
  '2014-10-20 10:20:30',
  '2014-10-22 10:20:30',
  '2014-11-08 10:20:30',
  '2014-11-10 10:20:30',
  '2014-11-12 10:20:30',
  '2014-11-13 10:20:30',
  '2014-11-13 10:20:30.1',
  '2014-11-15 10:20:30',
  '2014-11-18 10:20:30',
  '2014-11-20 10:20:30',
  '2014-11-21 10:20:30',
  '2014-11-22 10:20:30',
  '2015-09-01 10:20:30',
  '2015-09-02 10:20:30',
  '2015-09-05 10:20:30',
  '2015-09-06 10:20:30',
  '2015-09-08 10:20:30',
  '2015-09-09 10:20:30',
  '2015-09-10 10:20:30',
  '2015-09-11 10:20:30',
  '2015-09-20 10:20:30',
  '2015-09-22 10:20:30',
  '2015-08-08 10:20:30',
  '2015-08-10 10:20:30',
  '2015-08-12 10:20:30',
  '2015-08-13 10:20:30',
  '2015-08-13 10:20:30.1',
  '2015-08-15 10:20:30',
  '2015-08-18 10:20:30',
  '2015-08-20 10:20:30',
  '2015-08-21 10:20:30',
  '2015-08-22 10:20:30',
  '2015-10-01 10:20:30',
  '2015-10-02 10:20:30',
  '2015-10-05 10:20:30',
  '2015-10-06 10:20:30',
  '2015-10-08 10:20:30',
  '2015-10-09 10:20:30',
  '2015-10-10 10:20:30',
  '2015-10-11 10:20:30',
  '2015-10-20 10:20:30',
  '2015-10-22 10:20:30',
  '2015-10-22 10:20:30',
  '2015-10-22 10:20:30',
  '2015-10-22 10:20:30',
  '2015-10-22 10:20:30',
  '2015-11-08 10:20:30',
  '2015-11-10 10:20:30',
  '2015-11-12 10:20:30',
  '2015-11-13 10:20:30',
  '2015-11-13 10:20:30.1',
  '2015-11-15 10:20:30',
  '2015-11-18 10:20:30',
  '2015-11-20 10:20:30',
  '2015-11-21 10:20:30',
  '2015-11-22 10:20:30',
  '2016-01-01 01:02:03',
  '2016-01-01 01:03:03',
  '2016-01-01 07:08:03',
  '2016-01-03 07:02:03',
  '2016-01-04 10:23:03',
  '2016-01-04 11:23:03',
  '2016-01-04 12:23:03',
  '2016-01-04 12:24:03',
  '2016-01-04 12:28:03',
  '2016-01-04 12:30:03',
  '2016-01-04 16:23:03',
  '2016-01-05 09:02:03',
  '2016-01-06 08:02:03',
  '2016-01-07 10:02:03',
  '2016-01-08 20:02:03',
  '2016-01-09 21:02:03',
  '2016-01-12 21:02:03',
  '2016-01-12 21:08:03',
  '2016-01-18 12:02:03',
];
const snapshots = RESTIC_TIMES.map((t, i) => ({
  id: `s${String(i).padStart(3, '0')}`,
  time: new Date(`${t.replace(' ', 'T')}Z`),
}));

function keptTimes(rules: KeepRules, timeZone = 'UTC'): string[] {
  return applyRetention(snapshots, rules, timeZone).keep.map((k) =>
    k.snapshot.time.toISOString().replace('.000Z', 'Z'),
  );
}

describe('applyRetention: restic golden results', () => {
  it('keepDaily 7, keepWeekly 2, keepMonthly 3, keepYearly 10 (policy_keep_snapshots_17)', () => {
    expect(keptTimes({ keepDaily: 7, keepWeekly: 2, keepMonthly: 3, keepYearly: 10 })).toEqual([
      '2016-01-18T12:02:03Z',
      '2016-01-12T21:08:03Z',
      '2016-01-09T21:02:03Z',
      '2016-01-08T20:02:03Z',
      '2016-01-07T10:02:03Z',
      '2016-01-06T08:02:03Z',
      '2016-01-05T09:02:03Z',
      '2015-11-22T10:20:30Z',
      '2015-10-22T10:20:30Z',
      '2014-11-22T10:20:30Z',
    ]);
  });

  it('keepLast 5 + keepDaily 5: a snapshot kept by any rule is kept (policy_keep_snapshots_9)', () => {
    const decision = applyRetention(snapshots, { keepLast: 5, keepDaily: 5 }, 'UTC');
    expect(decision.keep.map((k) => [k.snapshot.time.toISOString(), k.reasons])).toEqual([
      ['2016-01-18T12:02:03.000Z', ['last', 'daily']],
      ['2016-01-12T21:08:03.000Z', ['last', 'daily']],
      ['2016-01-12T21:02:03.000Z', ['last']],
      ['2016-01-09T21:02:03.000Z', ['last', 'daily']],
      ['2016-01-08T20:02:03.000Z', ['last', 'daily']],
      ['2016-01-07T10:02:03.000Z', ['daily']],
    ]);
    expect(decision.keep.length + decision.remove.length).toBe(snapshots.length);
  });
});

describe('applyRetention: rules', () => {
  it.each<[string, KeepRules, string[]]>([
    ['keepLast 3', { keepLast: 3 }, ['2016-01-18T12:02:03Z', '2016-01-12T21:08:03Z', '2016-01-12T21:02:03Z']],
    [
      'keepDaily 3 counts only the newest snapshot per day',
      { keepDaily: 3 },
      ['2016-01-18T12:02:03Z', '2016-01-12T21:08:03Z', '2016-01-09T21:02:03Z'],
    ],
    [
      'keepHourly 4 skips hours without a snapshot',
      { keepHourly: 4 },
      ['2016-01-18T12:02:03Z', '2016-01-12T21:08:03Z', '2016-01-09T21:02:03Z', '2016-01-08T20:02:03Z'],
    ],
    [
      'keepWeekly 3 uses ISO weeks (Mon-Sun)',
      { keepWeekly: 3 },
      ['2016-01-18T12:02:03Z', '2016-01-12T21:08:03Z', '2016-01-09T21:02:03Z'],
    ],
    [
      'keepMonthly 3',
      { keepMonthly: 3 },
      ['2016-01-18T12:02:03Z', '2015-11-22T10:20:30Z', '2015-10-22T10:20:30Z'],
    ],
    ['keepYearly 2', { keepYearly: 2 }, ['2016-01-18T12:02:03Z', '2015-11-22T10:20:30Z']],
    [
      'keepWithin 7d is relative to the newest snapshot, not to now',
      { keepWithin: '7d' },
      ['2016-01-18T12:02:03Z', '2016-01-12T21:08:03Z', '2016-01-12T21:02:03Z'],
    ],
  ])('%s', (_name, rules, expected) => {
    expect(keptTimes(rules)).toEqual(expected);
  });

  it('keeps everything when no keep rule is given (as restic refuses an empty policy)', () => {
    const decision = applyRetention(snapshots, {}, 'UTC');
    expect(decision.remove).toEqual([]);
    expect(decision.keep).toHaveLength(snapshots.length);
  });

  it('always keeps the newest snapshot under any non-empty policy', () => {
    for (const rules of [{ keepLast: 1 }, { keepMonthly: 1 }, { keepWithin: '1s' }, { keepYearly: 1 }]) {
      expect(applyRetention(snapshots, rules, 'UTC').keep[0]?.snapshot.time.toISOString()).toBe(
        '2016-01-18T12:02:03.000Z',
      );
    }
  });

  it('computes calendar periods in the given time zone', () => {
    // 23:30 UTC on Jan 1 and 00:30 UTC on Jan 2 fall on the same day in New York, on different days in UTC.
    const two = [
      { id: 'a', time: new Date('2024-01-01T23:30:00Z') },
      { id: 'b', time: new Date('2024-01-02T00:30:00Z') },
    ];
    expect(applyRetention(two, { keepDaily: 5 }, 'UTC').keep).toHaveLength(2);
    const ny = applyRetention(two, { keepDaily: 5 }, 'America/New_York');
    expect(ny.keep.map((k) => k.snapshot.id)).toEqual(['b']);
    expect(ny.remove.map((s) => s.id)).toEqual(['a']);
  });

  it('does not depend on input order', () => {
    const shuffled = [...snapshots].reverse();
    expect(
      applyRetention(shuffled, { keepDaily: 7, keepMonthly: 2 }, 'UTC').keep.map((k) => k.snapshot.id),
    ).toEqual(
      applyRetention(snapshots, { keepDaily: 7, keepMonthly: 2 }, 'UTC').keep.map((k) => k.snapshot.id),
    );
  });
});

describe('isoWeek', () => {
  it.each([
    [2016, 1, 3, 2015, 53],
    [2016, 1, 4, 2016, 1],
    [2020, 12, 31, 2020, 53],
    [2021, 1, 1, 2020, 53],
    [2024, 12, 30, 2025, 1],
  ])('%i-%i-%i is ISO %i-W%i', (y, m, d, isoYear, week) => {
    expect(isoWeek(y, m, d)).toEqual({ isoYear, isoWeek: week });
  });
});

describe('applyRetention: a clock that jumped', () => {
  // Recorded in this order (seq): "ahead" while the clock was a day ahead, then "real" and "newest" at the right time.
  const jumped = [
    { id: 'ahead', seq: 1, time: new Date('2025-03-02T10:00:00Z') },
    { id: 'real', seq: 2, time: new Date('2025-03-01T10:00:00Z') },
    { id: 'newest', seq: 3, time: new Date('2025-03-01T10:30:00Z') },
  ];
  const now = new Date('2025-03-01T10:31:00Z');
  const kept = (rules: KeepRules) => applyRetention(jumped, rules, 'UTC', now).keep.map((k) => k.snapshot.id);

  it('keepLast keeps the newest recorded, not the one dated latest', () => {
    expect(kept({ keepLast: 1 })).toEqual(['newest']);
  });

  it('keepWithin counts back from the newest recorded and never keeps a backup dated after it', () => {
    expect(kept({ keepWithin: '1h' })).toEqual(['newest', 'real']);
  });

  it('keepWithin counts back from now when the newest recorded is dated in the future', () => {
    const future = [...jumped, { id: 'later', seq: 4, time: new Date('2025-03-05T00:00:00Z') }];
    const decision = applyRetention(future, { keepWithin: '1h' }, 'UTC', now);
    expect(decision.keep.map((k) => k.snapshot.id)).toEqual(['later', 'newest', 'real']);
    expect(decision.remove.map((s) => s.id)).toEqual(['ahead']);
  });
});
