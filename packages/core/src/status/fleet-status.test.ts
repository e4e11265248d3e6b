import { describe, expect, it } from 'vitest';
import { formatAge, staleReason } from './fleet-status.js';

describe('staleness for people', () => {
  it('formats an age as its largest unit and the next one when not 0', () => {
    expect(formatAge(0)).toBe('0s');
    expect(formatAge(40_000)).toBe('40s');
    expect(formatAge(26 * 3_600_000)).toBe('1d 2h');
    expect(formatAge(2 * 86_400_000 + 5 * 60_000)).toBe('2d');
    expect(formatAge(2 * 3_600_000 + 10 * 60_000 + 5000)).toBe('2h 10m');
  });

  it('says by how much a job is past its maxAge, or that it has no verified backup', () => {
    const base = { maxAgeMs: 93_600_000, newestVerifiedAt: '2026-01-01T00:00:00Z', stale: true };
    expect(staleReason({ ...base, overdueMs: 7_800_000 })).toBe(
      'newest verified backup 2h 10m past maxAge 1d 2h',
    );
    expect(staleReason({ ...base, newestVerifiedAt: null, overdueMs: null })).toBe(
      'no backup with a verified copy',
    );
  });
});
