import { describe, expect, it } from 'vitest';
import { choosePartSize, DEFAULT_PART_SIZE, s3OptionsSchema } from './options.js';

const MiB = 1024 * 1024;

describe('choosePartSize', () => {
  it('uses the configured size as is', () => {
    expect(choosePartSize(64 * MiB, 10 ** 13, 10 ** 13)).toBe(64 * MiB);
  });

  it('uses 16 MiB for a first backup, whose size nothing tells, so up to 160 GiB fits in 10,000 parts', () => {
    expect(choosePartSize(undefined)).toBe(16 * MiB);
  });

  it("uses S3's minimum of 5 MiB when the previous or the exact size is small", () => {
    expect(DEFAULT_PART_SIZE).toBe(5 * MiB);
    expect(choosePartSize(undefined, undefined, 1024 ** 3)).toBe(5 * MiB);
    expect(choosePartSize(undefined, 1024 ** 3)).toBe(5 * MiB);
  });

  it('stays at 5 MiB while four times the previous backup fits in 10,000 parts, and grows past that', () => {
    const largestAt5MiB = (10_000 * 5 * MiB) / 4; // 12,500 MiB
    expect(choosePartSize(undefined, undefined, largestAt5MiB)).toBe(5 * MiB);
    expect(choosePartSize(undefined, undefined, largestAt5MiB + 1)).toBe(6 * MiB);
    expect(choosePartSize(undefined, 50_000 * MiB + 1)).toBe(6 * MiB);
  });

  it('grows so four times the previous backup fits in 10,000 parts', () => {
    const hint = 100 * 1024 ** 3; // 100 GiB → 400 GiB must fit
    const part = choosePartSize(undefined, undefined, hint);
    expect(part * 10_000).toBeGreaterThanOrEqual(hint * 4);
    expect(part % MiB).toBe(0);
  });

  it('fits an exact size, and never exceeds 5 GiB', () => {
    expect(choosePartSize(undefined, 5 * 1024 ** 4) * 10_000).toBeGreaterThanOrEqual(5 * 1024 ** 4);
    expect(choosePartSize(undefined, undefined, 10 ** 15)).toBe(5 * 1024 * MiB);
  });
});

describe('prefix', () => {
  it.each(['a/../b', '..', 'a//b', '/abs/', './x'])('refuses %j at load', (prefix) => {
    const result = s3OptionsSchema.safeParse({ bucket: 'backups', prefix });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['prefix']);
  });

  it.each(['', 'backups', 'backups/', 'team/db/'])('accepts %j', (prefix) => {
    expect(s3OptionsSchema.safeParse({ bucket: 'backups', prefix }).success).toBe(true);
  });
});
