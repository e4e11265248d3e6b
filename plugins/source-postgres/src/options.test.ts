import { describe, expect, it } from 'vitest';
import { postgresOptionsSchema } from './options.js';

const BASE = { user: 'backup', database: 'app' };

function issues(options: object): string[] {
  const result = postgresOptionsSchema.safeParse({ ...BASE, ...options });
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('mode option', () => {
  it('defaults to dump and accepts base', () => {
    expect(postgresOptionsSchema.parse(BASE).mode).toBe('dump');
    expect(postgresOptionsSchema.parse({ ...BASE, mode: 'base' }).mode).toBe('base');
  });

  it('names the two modes when given another', () => {
    expect(issues({ mode: 'physical' })).toEqual([
      'mode: mode must be "dump" (pg_dump of one database) or "base" (pg_basebackup of the whole cluster)',
    ]);
  });

  it('refuses options only pg_dump understands with mode: base', () => {
    for (const option of [{ schemas: ['public'] }, { excludeTables: ['logs'] }, { globals: true }]) {
      expect(issues({ mode: 'base', ...option })).toEqual([
        'mode: mode: base backs up the whole cluster: remove schemas, excludeTables, globals and compressLevel (they apply to mode: dump only)',
      ]);
    }
    expect(issues({ mode: 'dump', globals: true })).toEqual([]);
  });
});

describe('wal option', () => {
  it('is allowed with mode: base only, naming the fix', () => {
    expect(issues({ mode: 'base', wal: true })).toEqual([]);
    expect(issues({ mode: 'base', wal: { slot: 'shop_wal', switchAfter: '5m' } })).toEqual([]);
    expect(issues({ wal: true })).toEqual([
      "wal: wal archives the whole cluster's WAL for point-in-time recovery: set mode: base (or remove wal)",
    ]);
  });

  it('names what a slot and switchAfter may be', () => {
    expect(issues({ mode: 'base', wal: { slot: 'Shop-WAL' } })).toEqual([
      'wal.slot: wal.slot: lowercase letters, digits and _ only, at most 58 characters',
    ]);
    expect(issues({ mode: 'base', wal: { switchAfter: 'soon' } })).toEqual([
      'wal.switchAfter: wal.switchAfter: a duration such as 30s, 5m or 1h',
    ]);
  });
});
