import { TricopyError } from '@tricopy/contract';
import { describe, expect, it } from 'vitest';
import { formatBytes, parseDuration } from './duration.js';
import { ConfigError, IntegrityError, PluginLoadError, UsageError } from './errors.js';
import { BACKUP_ID_PATTERN, newBackupId } from './ids.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    [30, 30_000],
    ['30', 30_000],
  ])('%j is %d ms', (input, ms) => expect(parseDuration(input)).toBe(ms));

  it.each(['', 'soon', '5 minutes', '1x', '-3s'])('rejects %j', (input) =>
    expect(parseDuration(input)).toBeUndefined(),
  );
});

describe('ids and sizes', () => {
  it('makes sortable, key-safe backup ids', () => {
    const a = newBackupId(new Date('2026-11-22T02:08:37.123Z'));
    const b = newBackupId(new Date('2026-11-22T02:08:38.000Z'));
    expect(a).toMatch(BACKUP_ID_PATTERN);
    expect(a.startsWith('20261122T020837Z-')).toBe(true);
    expect([b, a].sort()).toEqual([a, b]);
  });

  it('sorts backups started within the same second in start order', () => {
    const ids = [999, 0, 10, 500, 1].map((ms) => newBackupId(new Date(Date.UTC(2026, 10, 22, 2, 8, 37, ms))));
    expect([...ids].sort()).toEqual([ids[1], ids[4], ids[2], ids[3], ids[0]]);
    for (const id of ids) expect(id).toMatch(BACKUP_ID_PATTERN);
  });

  it('formats bytes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });
});

describe('core error classes', () => {
  it('each isInstance answers only for its own class', () => {
    const errors = [
      new ConfigError(['x']),
      new PluginLoadError('x'),
      new UsageError('x'),
      new IntegrityError('x'),
    ];
    const classes = [ConfigError, PluginLoadError, UsageError, IntegrityError];
    for (const [i, cls] of classes.entries()) {
      expect(errors.map((e) => cls.isInstance(e))).toEqual(errors.map((_, j) => j === i));
    }
    expect(errors.every((e) => TricopyError.isInstance(e))).toBe(true);
  });
});
