import { describe, expect, it } from 'vitest';
import { dueVerifications, type RotationCopy, type RotationInput } from './rotation.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-01-01T00:00:00Z');

function fleet(count: number): RotationCopy[] {
  return Array.from({ length: count }, (_, i) => ({
    backupId: `b${Math.floor(i / 2)}`,
    destination: i % 2 === 0 ? 'primary' : 'usb',
    finishedAt: new Date(T0 - (i + 1) * HOUR),
    lastDeepAt: null,
  }));
}

function input(over: Partial<RotationInput>): RotationInput {
  return {
    now: new Date(T0),
    tickMs: HOUR,
    copies: [],
    latestBackupId: 'b0',
    lastRestoreTestAt: null,
    ...over,
  };
}

describe('rotating verification', () => {
  it('with a fake clock ticking hourly, re-reads every copy within the deep window, a share per tick', () => {
    let copies = fleet(50);
    const deepMs = 7 * DAY;
    const readAt = new Map<string, number>();
    const perTick: number[] = [];
    for (let hour = 0; hour < 7 * 24; hour++) {
      const now = T0 + hour * HOUR;
      const due = dueVerifications(input({ now: new Date(now), deepMs, copies })).deep;
      perTick.push(due.length);
      const picked = new Set(due.map((c) => `${c.backupId}/${c.destination}`));
      for (const key of picked) readAt.set(key, now);
      copies = copies.map((c) =>
        picked.has(`${c.backupId}/${c.destination}`) ? { ...c, lastDeepAt: new Date(now) } : c,
      );
    }
    expect(readAt.size).toBe(50);
    // ceil(50 copies × 1 h / 168 h) = 1 per tick: spread, never everything at once.
    expect(Math.max(...perTick)).toBe(1);
    // And from then on, no copy goes unread for longer than the window.
    for (const c of copies)
      expect(T0 + 7 * 24 * HOUR - (c.lastDeepAt?.getTime() ?? 0)).toBeLessThanOrEqual(deepMs);
  });

  it('picks the oldest-read copies first, and every overdue one at once', () => {
    const copies: RotationCopy[] = [
      { backupId: 'new', destination: 'a', finishedAt: new Date(T0 - DAY), lastDeepAt: null },
      {
        backupId: 'old',
        destination: 'a',
        finishedAt: new Date(T0 - 30 * DAY),
        lastDeepAt: new Date(T0 - 9 * DAY),
      },
      {
        backupId: 'older',
        destination: 'a',
        finishedAt: new Date(T0 - 40 * DAY),
        lastDeepAt: new Date(T0 - 8 * DAY),
      },
    ];
    const due = dueVerifications(input({ deepMs: 7 * DAY, copies })).deep;
    expect(due.map((c) => c.backupId)).toEqual(['old', 'older']);
  });

  it('does not re-read a copy read within the last tick, and picks nothing without a deep window', () => {
    const copies: RotationCopy[] = [
      { backupId: 'b', destination: 'a', finishedAt: new Date(T0 - DAY), lastDeepAt: new Date(T0 - 60_000) },
    ];
    expect(dueVerifications(input({ deepMs: HOUR / 2, copies })).deep).toEqual([]);
    expect(dueVerifications(input({ copies: fleet(3) })).deep).toEqual([]);
  });

  it('restore-tests the latest backup when the last restore test is a window old, or there was none', () => {
    const restoreTestMs = 30 * DAY;
    expect(dueVerifications(input({ restoreTestMs })).restoreTest).toBe('b0');
    const recent = new Date(T0 - 29 * DAY);
    expect(dueVerifications(input({ restoreTestMs, lastRestoreTestAt: recent })).restoreTest).toBeNull();
    const old = new Date(T0 - 30 * DAY);
    expect(dueVerifications(input({ restoreTestMs, lastRestoreTestAt: old })).restoreTest).toBe('b0');
    expect(dueVerifications(input({ restoreTestMs, latestBackupId: null })).restoreTest).toBeNull();
    expect(dueVerifications(input({})).restoreTest).toBeNull();
  });
});
