import type { Catalog, WalCopyRow, WalSegmentRow } from '@tricopy/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bothCatalogs } from './testing/both-catalogs.js';

/** The archived-WAL records, on both catalogs. */
const clock = { now: new Date('2026-12-01T10:00:00.000Z') };
const kinds = bothCatalogs(() => clock.now);

const segment = (name: string, job = 'pg', sha256 = 'b'.repeat(64)): WalSegmentRow => ({
  job,
  name,
  timeline: Number.parseInt(name.slice(0, 8), 16),
  kind: name.endsWith('.history') ? 'history' : 'segment',
  rawSize: 16 * 1024 * 1024,
  rawSha256: 'a'.repeat(64),
  size: 5_000_000_000,
  sha256,
  compression: 'zstd',
  encrypted: true,
  key: `${job}/wal/${name}.zst.age`,
  storedAt: '2026-12-01T09:00:00.000Z',
});

describe.each(kinds)('WAL in the %s catalog', (_kind, open) => {
  let catalog: Catalog;
  beforeEach(async () => {
    catalog = await open();
  });
  afterEach(async () => {
    await catalog.close();
  });

  it('keeps a WAL file as written, in archive order (history before its timeline), of one job, in a range', async () => {
    const names = [
      '000000020000000000000005',
      '00000002.history',
      '000000010000000000000004',
      '000000010000000000000003',
    ];
    for (const name of names) await catalog.recordWalSegment(segment(name));
    await catalog.recordWalSegment(segment('000000010000000000000003', 'other'));
    const all = await catalog.walSegments('pg');
    expect(all.map((row) => row.name)).toEqual([
      '000000010000000000000003',
      '000000010000000000000004',
      '00000002.history',
      '000000020000000000000005',
    ]);
    expect(all[0]).toEqual(segment('000000010000000000000003'));
    expect(all[2]).toMatchObject({ kind: 'history', timeline: 2 });
    const range = await catalog.walSegments('pg', {
      from: '000000010000000000000004',
      to: '00000002.history',
    });
    expect(range.map((row) => row.name)).toEqual(['000000010000000000000004', '00000002.history']);
    expect(await catalog.walSegments('pg', { from: '000000020000000000000006' })).toEqual([]);
    expect(await catalog.walSegments('none')).toEqual([]);
  });

  it('records a copy per destination, stamped, and updates its status', async () => {
    await catalog.recordWalSegment(segment('000000010000000000000003'));
    await catalog.recordWalSegment(segment('000000010000000000000004'));
    const copy = { job: 'pg', name: '000000010000000000000003' };
    await catalog.recordWalCopy({ ...copy, destination: 's3', status: 'failed', error: 'timed out' });
    await catalog.recordWalCopy({ ...copy, destination: 'local', status: 'verified' });
    clock.now = new Date('2026-12-01T11:00:00.000Z');
    await catalog.recordWalCopy({ ...copy, destination: 's3', status: 'verified' });
    await catalog.recordWalCopy({
      job: 'pg',
      name: '000000010000000000000004',
      destination: 'local',
      status: 'missing',
    });
    const expected: WalCopyRow[] = [
      { ...copy, destination: 'local', status: 'verified', checkedAt: '2026-12-01T10:00:00.000Z' },
      { ...copy, destination: 's3', status: 'verified', checkedAt: '2026-12-01T11:00:00.000Z' },
    ];
    expect(await catalog.walCopies('pg', ['000000010000000000000003'])).toEqual(expected);
    expect((await catalog.walCopies('pg')).map((row) => [row.name.slice(-1), row.destination])).toEqual([
      ['3', 'local'],
      ['3', 's3'],
      ['4', 'local'],
    ]);
    expect(await catalog.walCopies('pg', [])).toEqual([]);
    expect(await catalog.walCopies('other')).toEqual([]);
    clock.now = new Date('2026-12-01T10:00:00.000Z');
  });

  it('finds the copies of many names at once', async () => {
    const names = Array.from(
      { length: 1200 },
      (_, i) => `0000000100000000${i.toString(16).padStart(8, '0')}`,
    );
    await catalog.transaction(async (tx) => {
      for (const name of names) {
        await tx.recordWalSegment(segment(name));
        await tx.recordWalCopy({ job: 'pg', name, destination: 'local', status: 'verified' });
      }
    });
    const copies = await catalog.walCopies('pg', [...names].reverse());
    expect(copies.map((row) => row.name)).toEqual(names);
  });

  it('keeps the copies of a file stored again with the same artifact, forgets them when the artifact changed', async () => {
    const name = '000000010000000000000003';
    await catalog.recordWalSegment(segment(name));
    await catalog.recordWalCopy({ job: 'pg', name, destination: 'local', status: 'verified' });
    await catalog.recordWalSegment({ ...segment(name), storedAt: '2026-12-01T09:30:00.000Z' });
    expect(await catalog.walCopies('pg', [name])).toHaveLength(1);
    expect((await catalog.walSegments('pg'))[0]?.storedAt).toBe('2026-12-01T09:30:00.000Z');
    await catalog.recordWalSegment(segment(name, 'pg', 'c'.repeat(64)));
    expect(await catalog.walCopies('pg', [name])).toEqual([]);
    expect((await catalog.walSegments('pg'))[0]?.sha256).toBe('c'.repeat(64));
  });

  it('refuses a copy of a file it does not know', async () => {
    await expect(
      catalog.recordWalCopy({
        job: 'pg',
        name: '000000010000000000000009',
        destination: 'local',
        status: 'verified',
      }),
    ).rejects.toThrow();
  });

  it('deletes a WAL file with its copies, of that job only', async () => {
    const name = '000000010000000000000003';
    await catalog.recordWalSegment(segment(name));
    await catalog.recordWalSegment(segment(name, 'other'));
    await catalog.recordWalCopy({ job: 'pg', name, destination: 'local', status: 'verified' });
    await catalog.recordWalCopy({ job: 'other', name, destination: 'local', status: 'verified' });
    await catalog.deleteWalSegment('pg', name);
    expect(await catalog.walSegments('pg')).toEqual([]);
    expect(await catalog.walCopies('pg')).toEqual([]);
    expect(await catalog.walCopies('other')).toHaveLength(1);
    await catalog.deleteWalSegment('pg', name);
  });

  it('copies its WAL records with the rest of the catalog', async () => {
    await catalog.recordWalSegment(segment('000000010000000000000003'));
    await catalog.recordWalCopy({
      job: 'pg',
      name: '000000010000000000000003',
      destination: 'local',
      status: 'verified',
    });
    expect(await catalog.records('wal_segments', { offset: 0, limit: 10 })).toHaveLength(1);
    expect(await catalog.records('wal_copies', { offset: 0, limit: 10 })).toEqual([
      {
        job: 'pg',
        name: '000000010000000000000003',
        destination: 'local',
        status: 'verified',
        checked_at: '2026-12-01T10:00:00.000Z',
        error: null,
      },
    ]);
  });
});
