import { describe, expect, it } from 'vitest';
import { baseDetailsOf } from './base-backup.js';
import { choosePitrBase, parseRecoveryTime } from './recovery-target.js';
import { lastWalStoredAt, recoveryWindow } from './recovery-window.js';
import { type ChainCopy, type ChainFile, continuityProblems, walContinuity, walkWal } from './wal-chain.js';
import { parseWalName, segmentName, segmentNumber } from './wal-names.js';

const MiB16 = 16 * 1024 * 1024;
const seg = (
  timeline: number,
  n: number,
  storedAt = `2026-12-06T10:${String(n).padStart(2, '0')}:00.000Z`,
): ChainFile => ({
  name: segmentName(timeline, n),
  timeline,
  kind: 'segment',
  rawSize: MiB16,
  storedAt,
});
const history = (timeline: number): ChainFile => ({
  name: `${timeline.toString(16).toUpperCase().padStart(8, '0')}.history`,
  timeline,
  kind: 'history',
  rawSize: 42,
  storedAt: '2026-12-06T10:00:00.000Z',
});
const verifiedOn = (files: readonly ChainFile[], ...destinations: string[]): ChainCopy[] =>
  files.flatMap((f) =>
    destinations.map((destination) => ({ name: f.name, destination, status: 'verified' })),
  );

describe('WAL names', () => {
  it('parses segments and histories and numbers segments across log ids', () => {
    expect(parseWalName('0000000100000002000000FF')).toEqual({
      kind: 'segment',
      timeline: 1,
      log: 2,
      seg: 255,
    });
    expect(parseWalName('00000003.history')).toEqual({ kind: 'history', timeline: 3 });
    expect(parseWalName('000000010000000000000003.partial')).toBeUndefined();
    expect(segmentNumber('000000010000000100000000')).toBe(256);
    expect(segmentName(1, 256)).toBe('000000010000000100000000');
    expect(segmentName(2, 255)).toBe('0000000200000000000000FF');
    // 64 MiB segments: 64 per log id
    expect(segmentNumber('000000010000000100000000', 64 * 1024 * 1024)).toBe(64);
  });
});

describe('walkWal', () => {
  it('follows consecutive segments, across a log id boundary', () => {
    const files = [seg(1, 254), seg(1, 255), seg(1, 256)];
    const walk = walkWal(files, segmentName(1, 254));
    expect(walk.chain.map((f) => f.name)).toEqual(files.map((f) => f.name));
    expect(walk.gaps).toEqual([]);
  });

  it('names the first missing segment and where the WAL resumes; the chain stops at the gap', () => {
    const walk = walkWal([seg(1, 3), seg(1, 4), seg(1, 7), seg(1, 9)], segmentName(1, 3));
    expect(walk.chain.map((f) => f.name)).toEqual([segmentName(1, 3), segmentName(1, 4)]);
    expect(walk.gaps).toEqual([
      { after: segmentName(1, 4), missing: segmentName(1, 5), resumesAt: segmentName(1, 7) },
      { after: segmentName(1, 7), missing: segmentName(1, 8), resumesAt: segmentName(1, 9) },
    ]);
  });

  it('reports a missing start segment', () => {
    expect(walkWal([seg(1, 5)], segmentName(1, 4)).gaps[0]).toMatchObject({
      after: null,
      missing: segmentName(1, 4),
    });
    expect(walkWal([], segmentName(1, 4)).gaps[0]).toMatchObject({ after: null, missing: segmentName(1, 4) });
  });

  it('ignores segments before the start', () => {
    expect(walkWal([seg(1, 1), seg(1, 4)], segmentName(1, 4)).walked.map((f) => f.name)).toEqual([
      segmentName(1, 4),
    ]);
  });

  it('switches to a new timeline at the segment where it begins, and needs its history file', () => {
    // The old timeline's last segment stays partial (never stored): timeline 2 begins at segment 6.
    const files = [seg(1, 4), seg(1, 5), seg(2, 6), seg(2, 7)];
    const walk = walkWal(files, segmentName(1, 4));
    expect(walk.chain.map((f) => f.timeline)).toEqual([1, 1, 2, 2]);
    expect(walk.gaps).toEqual([]);
    expect(walk.missingHistory).toEqual(['00000002.history']);
    expect(walkWal([...files, history(2)], segmentName(1, 4)).missingHistory).toEqual([]);
  });

  it('prefers the newer timeline where both have the segment, and never goes back to an older one', () => {
    const walk = walkWal([seg(1, 4), seg(1, 5), seg(2, 5), seg(1, 6)], segmentName(1, 4));
    expect(walk.chain.map((f) => f.name)).toEqual([segmentName(1, 4), segmentName(2, 5)]);
    expect(walk.walked.length).toBe(2);
  });
});

describe('walContinuity', () => {
  it('is ok when every segment is on every destination', () => {
    const files = [seg(1, 1), seg(1, 2)];
    expect(walContinuity(files, verifiedOn(files, 'a', 'b'), ['a', 'b'], segmentName(1, 1)).ok).toBe(true);
  });

  it('lists segments without a verified copy per destination by count and the first few', () => {
    const files = Array.from({ length: 8 }, (_, i) => seg(1, i + 1));
    const copies = [
      ...verifiedOn(files, 'a'),
      ...verifiedOn(files.slice(0, 1), 'b'),
      { name: files[1]?.name as string, destination: 'b', status: 'failed' },
    ];
    const c = walContinuity(files, copies, ['a', 'b'], segmentName(1, 1));
    expect(c.ok).toBe(false);
    expect(c.unverified).toEqual([
      { destination: 'b', count: 7, first: files.slice(1, 6).map((f) => f.name) },
    ]);
    expect(continuityProblems(c)).toEqual([
      `7 WAL file(s) without a verified copy on b: ${files
        .slice(1, 6)
        .map((f) => f.name)
        .join(', ')}, …`,
    ]);
  });

  it('is waiting, not broken, while nothing is stored from the base backup on yet', () => {
    const c = walContinuity([seg(1, 1)], [], ['a'], segmentName(1, 2));
    expect(c).toMatchObject({ waiting: true, gaps: [], ok: true, newest: null });
    expect(walContinuity([seg(1, 3)], [], [], segmentName(1, 2))).toMatchObject({
      waiting: false,
      ok: false,
    });
  });

  it('reports gaps and missing history files', () => {
    const files = [seg(1, 1), seg(2, 3)];
    const c = walContinuity(files, verifiedOn(files, 'a'), ['a'], segmentName(1, 1));
    expect(c.gaps).toHaveLength(1);
    expect(c.missingHistory).toEqual(['00000002.history']);
    expect(c.newest).toBe(segmentName(2, 3));
    expect(continuityProblems(c)[0]).toMatch(
      /^WAL gap after 000000010000000000000001: 000000010000000000000002/,
    );
  });

  it('counts a history file toward the copies a destination must hold', () => {
    const files = [seg(1, 1), seg(2, 2), history(2)];
    const copies = verifiedOn(files.slice(0, 2), 'a');
    expect(walContinuity(files, copies, ['a'], segmentName(1, 1)).unverified).toEqual([
      { destination: 'a', count: 1, first: ['00000002.history'] },
    ]);
  });
});

describe('parseRecoveryTime', () => {
  it('reads ISO and PostgreSQL-style times with an offset', () => {
    expect(parseRecoveryTime('2026-12-06 10:15:00+00').at.toISOString()).toBe('2026-12-06T10:15:00.000Z');
    expect(parseRecoveryTime('2026-12-06T10:15:00Z').at.toISOString()).toBe('2026-12-06T10:15:00.000Z');
    expect(parseRecoveryTime('2026-12-06T12:15:00+02:00').at.toISOString()).toBe('2026-12-06T10:15:00.000Z');
    expect(parseRecoveryTime('2026-12-06 10:15:00.123456-0130')).toEqual({
      at: new Date('2026-12-06T11:45:00.123Z'),
      text: '2026-12-06 10:15:00.123456-01:30',
    });
  });

  it('refuses a time without an offset, naming the fix', () => {
    expect(() => parseRecoveryTime('2026-12-06 10:15:00')).toThrow(
      '--time "2026-12-06 10:15:00" has no UTC offset: add one, e.g. "2026-12-06 10:15:00+00" for UTC',
    );
  });

  it('refuses what is not a date and time, and dates that do not exist', () => {
    expect(() => parseRecoveryTime('yesterday')).toThrow(/not a date and time; write it as/);
    expect(() => parseRecoveryTime('2026-12-06 10:15+00')).toThrow(/not a date and time/);
    expect(() => parseRecoveryTime('2026-02-30 10:15:00+00')).toThrow(/no such date or time/);
    expect(() => parseRecoveryTime('2026-12-06 25:15:00+00')).toThrow(/no such date or time/);
  });
});

describe('base details', () => {
  it('reads a base backup details and refuses others', () => {
    const details = {
      kind: 'base',
      timeline: 1,
      startWal: segmentName(1, 2),
      stopWal: segmentName(1, 3),
      stopTime: '2026-12-06T10:02:30Z',
    };
    expect(baseDetailsOf(details)).toEqual({
      ...details,
      kind: undefined,
      stopTime: '2026-12-06T10:02:30.000Z',
    } as never);
    expect(baseDetailsOf({ ...details, kind: 'dump' })).toBeUndefined();
    expect(baseDetailsOf({ ...details, startWal: 'x' })).toBeUndefined();
    expect(baseDetailsOf(undefined)).toBeUndefined();
  });
});

describe('choosing a base backup and the window', () => {
  const base = (id: string, startN: number, stopTime: string) => ({
    backupId: id,
    stopTime,
    startWal: segmentName(1, startN),
    stopWal: segmentName(1, startN),
    timeline: 1,
  });
  const files = [1, 2, 3, 4, 5, 6].map((n) => seg(1, n)); // stored at 10:01 .. 10:06
  const copies = verifiedOn(files, 'a');
  const older = base('b1', 1, '2026-12-06T10:00:30.000Z');
  const newer = base('b2', 4, '2026-12-06T10:03:30.000Z');
  const at = (text: string) => ({ time: parseRecoveryTime(text) });

  it('the window runs from the oldest base backup to the newest continuous WAL', () => {
    expect(recoveryWindow([newer, older], files, copies)).toEqual({
      earliest: '2026-12-06T10:00:30.000Z',
      latest: '2026-12-06T10:06:00.000Z',
    });
    expect(lastWalStoredAt(files)).toBe('2026-12-06T10:06:00.000Z');
    expect(recoveryWindow([], files, copies)).toBeUndefined();
  });

  it('takes the newest base that stopped before the target', () => {
    expect(
      choosePitrBase('j', [older, newer], files, copies, at('2026-12-06 10:03:00+00')).base.backupId,
    ).toBe('b1');
    expect(
      choosePitrBase('j', [older, newer], files, copies, at('2026-12-06 10:05:00+00')).base.backupId,
    ).toBe('b2');
    expect(choosePitrBase('j', [older, newer], files, copies, { latest: true }).base.backupId).toBe('b2');
  });

  it('refuses a time outside the window, naming it', () => {
    expect(() => choosePitrBase('j', [older, newer], files, copies, at('2026-12-06 09:00:00+00'))).toThrow(
      "--time 2026-12-06 09:00:00+00:00 is before job j's recovery window (2026-12-06T10:00:30.000Z .. 2026-12-06T10:06:00.000Z): choose a time inside it",
    );
    expect(() => choosePitrBase('j', [older], files, copies, at('2026-12-06 11:00:00+00'))).toThrow(
      /is after job j's recovery window/,
    );
  });

  it('falls back to an older base when the newer one lacks WAL, and names the first gap when none has it', () => {
    const noFour = copies.filter((c) => c.name !== segmentName(1, 4));
    // b2 starts at the missing segment 4; b1 reaches only 10:03 (segment 3): 10:05 is after the window.
    expect(() => choosePitrBase('j', [older, newer], files, noFour, at('2026-12-06 10:05:00+00'))).toThrow(
      /after job j's recovery window \(2026-12-06T10:00:30.000Z .. 2026-12-06T10:03:30.000Z\)/,
    );
    const noTwo = copies.filter((c) => c.name !== segmentName(1, 2));
    expect(() => choosePitrBase('j', [older], files, noTwo, at('2026-12-06 10:00:45+00'))).not.toThrow();
    expect(() => choosePitrBase('j', [older, newer], files, noTwo, at('2026-12-06 10:03:00+00'))).toThrow(
      'no base backup of job j has WAL reaching 2026-12-06 10:03:00+00:00: WAL 000000010000000000000002 has no verified copy on any destination (the WAL resumes at 000000010000000000000003)',
    );
  });

  it('with --latest warns where replay stops at a gap', () => {
    const noFive = copies.filter((c) => c.name !== segmentName(1, 5));
    expect(choosePitrBase('j', [older, newer], files, noFive, { latest: true }).warning).toBe(
      'replay stops at 000000010000000000000004: WAL 000000010000000000000005 has no verified copy on any destination (the WAL resumes at 000000010000000000000006)',
    );
  });
});
