import { describe, expect, it } from 'vitest';
import type { CopyStatus } from '../catalog/catalog.js';
import { backupStatusOf } from './backup-status.js';
import { type CountRule, copyCounts, countedCopies } from './copy-state.js';

const STATUSES: readonly CopyStatus[] = ['verified', 'pending', 'failed', 'deleting', 'deleted'];

function countedBy(rule: CountRule): CopyStatus[] {
  return STATUSES.filter((status) => copyCounts({ status }, rule));
}

describe('copyCounts', () => {
  it('counts only verified copies by default', () => {
    expect(STATUSES.filter((status) => copyCounts({ status }))).toEqual(['verified']);
  });

  it('reads verified and not yet checked copies, never failed or removed ones', () => {
    expect(countedBy('readable')).toEqual(['verified', 'pending']);
  });

  it('keeps failed copies among the present ones, not copies removed on purpose', () => {
    expect(countedBy('present')).toEqual(['verified', 'pending', 'failed']);
  });

  it('for prune, a half-removed copy may still hold bytes; a failed one is not counted', () => {
    expect(countedBy('may-exist')).toEqual(['verified', 'pending', 'deleting']);
  });

  it('keeps the order of the copies it counts', () => {
    const copies = [
      { destination: 'b', status: 'verified' as const },
      { destination: 'a', status: 'failed' as const },
      { destination: 'c', status: 'verified' as const },
    ];
    expect(countedCopies(copies).map((c) => c.destination)).toEqual(['b', 'c']);
  });
});

describe('backupStatusOf', () => {
  const of = (...statuses: CopyStatus[]) => backupStatusOf(statuses.map((status) => ({ status })));

  it('is ok when every copy is verified', () => {
    expect(of('verified', 'verified')).toBe('ok');
  });

  it('is degraded when some are, failed when none is', () => {
    expect(of('verified', 'failed')).toBe('degraded');
    expect(of('verified', 'pending')).toBe('degraded');
    expect(of('failed', 'pending')).toBe('failed');
  });

  it('does not count copies pruned on purpose against the backup', () => {
    expect(of('verified', 'deleted', 'deleting')).toBe('ok');
  });

  it('says nothing when no copy is left', () => {
    expect(of('deleted', 'deleting')).toBeUndefined();
    expect(of()).toBeUndefined();
  });
});
