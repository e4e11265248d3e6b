import { describe, expect, it } from 'vitest';
import { defaultSlotName, durationMs, isCompleteWalFile, segmentEndLsn } from './wal-names.js';

describe('WAL names', () => {
  it('takes segments and history files, never partial or other files', () => {
    expect(isCompleteWalFile('000000010000000000000003')).toBe(true);
    expect(isCompleteWalFile('00000002.history')).toBe(true);
    expect(isCompleteWalFile('000000010000000000000003.partial')).toBe(false);
    expect(isCompleteWalFile('000000010000000000000003.00000028.backup')).toBe(false);
    expect(isCompleteWalFile('00000002.history.partial')).toBe(false);
  });

  it('gives the LSN just past a segment, for 16 MiB and 1 GiB segments', () => {
    expect(segmentEndLsn('000000010000000000000003', 16 * 1024 * 1024)).toBe('0/4000000');
    expect(segmentEndLsn('0000000100000000000000FF', 16 * 1024 * 1024)).toBe('1/0');
    expect(segmentEndLsn('000000020000000A00000010', 16 * 1024 * 1024)).toBe('A/11000000');
    expect(segmentEndLsn('000000010000000000000003', 1024 * 1024 * 1024)).toBe('1/0');
  });

  it('names a slot after the job, and reads durations', () => {
    expect(defaultSlotName('Shop-DB')).toBe('tricopy_shop_db');
    expect(defaultSlotName('x'.repeat(80))).toHaveLength(58);
    expect(durationMs('5m')).toBe(300_000);
  });
});
