import type { PointInTimeResult } from '@tricopy/core';
import { describe, expect, it } from 'vitest';
import { pointInTimeLines } from './restore.js';

const result: PointInTimeResult = {
  backupId: 'b1',
  job: 'pg',
  destination: 'local',
  target: { directory: "/srv/pg data's" },
  size: 1024,
  sha256: 'x',
  skipped: [],
  base: { backupId: 'b1', stopTime: '2026-12-06T10:02:30.000Z', startWal: 'a', stopWal: 'a', timeline: 1 },
  window: { earliest: '2026-12-06T10:02:30.000Z', latest: '2026-12-06T11:00:00.000Z' },
  walReaches: '2026-12-06T11:00:00.000Z',
  targetTime: '2026-12-06 10:15:00+00:00',
};

describe('pointInTimeLines', () => {
  it('says what was restored, the target and window, and the next step with the directory quoted for sh', () => {
    expect(pointInTimeLines(result, false)).toEqual([
      "restored base backup b1 (pg, 1.0 KiB, sha256 confirmed, stopped 2026-12-06T10:02:30.000Z) from local into /srv/pg data's",
      'recovery: to 2026-12-06 10:15:00+00:00; window 2026-12-06T10:02:30.000Z .. 2026-12-06T11:00:00.000Z',
      `next: start it as the data directory's owner: pg_ctl -D '/srv/pg data'\\''s' start   (WAL is fetched by tricopy wal-fetch; each file's sha256 is checked)`,
      'if the server stops with "recovery ended before configured recovery target was reached", no commit after the target is stored yet: restore again with --latest or an earlier --time',
    ]);
  });

  it('as root, says to give the directory to postgres first; with --latest, how far the WAL reaches', () => {
    const { targetTime: _, ...latest } = result;
    const lines = pointInTimeLines(latest, true);
    expect(lines[1]).toBe(
      'recovery: replays all stored WAL (stored up to 2026-12-06T11:00:00.000Z); window 2026-12-06T10:02:30.000Z .. 2026-12-06T11:00:00.000Z',
    );
    expect(lines[2]).toBe(
      `next: chown -R postgres: '/srv/pg data'\\''s'   (the server refuses to run as root)`,
    );
  });
});
