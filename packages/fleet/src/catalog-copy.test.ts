import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Catalog, copyCatalog, openSqliteCatalog, RECORD_TABLE_ORDER, type Row } from '@tricopy/core';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresCatalog } from './pg-catalog.js';
import { postgresUrl } from './testing/postgres-url.js';

/** `copyCatalog` from a SQLite catalog into an empty one of each kind: every record as stored, ids included. */
let server: PostgresServer;
let dir: string;
let databases = 0;
beforeAll(async () => {
  server = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'tricopy-catalog-copy-'));
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const clock = { now: new Date('2026-11-01T10:00:00.000Z') };
const now = () => clock.now;
const sqlite = () => openSqliteCatalog(join(dir, `catalog-${++databases}.db`), now);

const targets: [string, () => Promise<Catalog>][] = [
  ['SQLite', async () => sqlite()],
  [
    'PostgreSQL',
    async () => {
      const name = `catalog_${++databases}`;
      await server.createDatabase(name);
      return openPostgresCatalog(postgresUrl(server, name), { now });
    },
  ],
];

const MANIFEST = '{"job":"app","backupId":"b2",  "note":"spacing kept","copies":[]}';

/** A history with an unfinished run, a degraded backup, a pruned one, verifications and a stale episode. */
async function history(catalog: Catalog): Promise<void> {
  const first = await catalog.startRun('backup');
  await catalog.finishRun(first, 'ok');
  const second = await catalog.startRun('backup');
  await catalog.startRun('verify --all'); // never finished
  await catalog.insertBackup({ id: 'b1', job: 'app', runId: first, sourceType: 'sqlite', startedAt: 't1' });
  await catalog.finishBackup('b1', { status: 'ok', finishedAt: 't2', size: 5_000_000_000, sha256: 'a' });
  await catalog.markPruned('b1');
  // The manifest as stored, not as JSON.stringify would write it: the copy must keep its bytes.
  await catalog.addRecords('backups', [
    {
      id: 'b2',
      job: 'app',
      run_id: second,
      status: 'degraded',
      started_at: 't3',
      finished_at: 't4',
      source_type: 'sqlite',
      size: 5_000_000_000,
      manifest: MANIFEST,
      error: 'usb: full',
      flagged: 'small',
      seq: 2,
    },
  ]);
  await catalog.confirmBackup('b2');
  for (const [id, destination, status] of [
    ['b1', 'usb', 'deleted'],
    ['b2', 'usb', 'failed'],
    ['b2', 'nas', 'verified'],
  ] as const) {
    await catalog.upsertCopy({
      backupId: id,
      destination,
      status,
      key: `app/${id}/app.db.zst`,
      location: null,
      size: 5_000_000_000,
      sha256: 'a',
      attempts: 2,
      error: null,
    });
  }
  const check = {
    destination: 'nas',
    expectedSize: 1,
    expectedSha256: 'a',
    actualSize: 1,
    actualSha256: 'a',
  };
  await catalog.recordVerification({ ...check, backupId: 'b2', level: 'backup', status: 'ok', detail: null });
  await catalog.recordVerification({
    ...check,
    backupId: 'b2',
    level: 'deep',
    status: 'ok',
    detail: 'reread',
  });
  await catalog.startStaleEpisode('other');
  await catalog.recordWalSegment({
    job: 'pg',
    name: '000000010000000000000003',
    timeline: 1,
    kind: 'segment',
    rawSize: 16_777_216,
    rawSha256: 'r',
    size: 5_000_000_000,
    sha256: 's',
    compression: 'zstd',
    encrypted: true,
    key: 'pg/wal/000000010000000000000003.zst.age',
    storedAt: '2026-12-01T09:00:00.000Z',
  });
  for (const [destination, status] of [
    ['usb', 'failed'],
    ['nas', 'verified'],
  ] as const) {
    await catalog.recordWalCopy({ job: 'pg', name: '000000010000000000000003', destination, status });
  }
}

async function everything(catalog: Catalog): Promise<Record<string, Row[]>> {
  const all: Record<string, Row[]> = {};
  for (const table of RECORD_TABLE_ORDER)
    all[table] = await catalog.records(table, { offset: 0, limit: 1000 });
  return all;
}

describe.each(targets)('copying a SQLite catalog into an empty %s catalog', (_kind, open) => {
  it('copies every record exactly, ids and times included; new ids continue after the copied ones', async () => {
    const source = sqlite();
    await history(source);
    const target = await open();
    try {
      const report = await copyCatalog(source, target);
      expect(report).toEqual({
        outcome: 'copied',
        records: {
          runs: 3,
          backups: 2,
          copies: 3,
          verifications: 2,
          stale_episodes: 1,
          wal_segments: 1,
          wal_copies: 2,
        },
      });
      const copied = await everything(target);
      expect(copied).toEqual(await everything(source));
      expect(copied.backups?.[1]?.manifest).toBe(MANIFEST);
      expect(await target.getBackup('b2')).toEqual(await source.getBackup('b2'));
      expect(await target.lastVerification('b2')).toMatchObject({ level: 'deep', detail: 'reread' });
      expect(await target.startRun('backup')).toBe(4);
      // The copied order stays, and a new backup comes after the copied ones.
      await target.insertBackup({
        id: 'b3',
        job: 'app',
        sourceType: 'sqlite',
        startedAt: '2000-01-01T00:00:00Z',
      });
      expect((await target.listBackups({ job: 'app' })).map((b) => b.id)).toEqual(['b3', 'b2', 'b1']);
      await target.recordVerification({
        backupId: 'b2',
        destination: null,
        level: 'stat',
        status: 'ok',
        expectedSize: null,
        expectedSha256: null,
        actualSize: null,
        actualSha256: null,
        detail: 'after the copy',
      });
      expect(await target.lastVerification('b2')).toMatchObject({ level: 'stat', detail: 'after the copy' });
      expect(await target.startStaleEpisode('other')).toBe(false);
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  });

  it('copies more records than one page (500) and one INSERT (100) hold, in order', async () => {
    const source = sqlite();
    const rows = Array.from({ length: 1201 }, (_, i) => ({
      id: `b${String(i).padStart(5, '0')}`,
      job: 'app',
      status: 'ok',
      started_at: `t${i}`,
      source_type: 'sqlite',
      seq: i + 1,
    }));
    await source.addRecords('backups', rows);
    const target = await open();
    try {
      expect((await copyCatalog(source, target)).records.backups).toBe(1201);
      const copied = await target.records('backups', { offset: 0, limit: 2000 });
      expect(copied.map((row) => row.id)).toEqual(rows.map((row) => row.id));
      expect(copied).toEqual(await source.records('backups', { offset: 0, limit: 2000 }));
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  });

  it('a second copy finds every record there and changes nothing, even after new records', async () => {
    const source = sqlite();
    await history(source);
    const target = await open();
    try {
      await copyCatalog(source, target);
      await target.insertBackup({ id: 'b3', job: 'app', sourceType: 'sqlite', startedAt: 't5' });
      const before = await everything(target);
      const again = await copyCatalog(source, target);
      expect(again.outcome).toBe('present');
      expect(again.records.backups).toBe(2);
      expect(await everything(target)).toEqual(before);
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  });

  it('refuses a target with other records, naming the first difference, and writes nothing', async () => {
    const source = sqlite();
    await history(source);
    const target = await open();
    try {
      await copyCatalog(source, target);
      await target.setBackupStatus('b2', 'ok');
      const before = await everything(target);
      await expect(copyCatalog(source, target)).rejects.toThrow(
        /not empty and holds other records \(backups id b2 differs there\)/,
      );
      expect(await everything(target)).toEqual(before);
      const other = await open();
      await other.startRun('backup');
      await expect(copyCatalog(source, other)).rejects.toThrow(/runs id 1 differs there/);
      await other.close();
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  });
});

describe('copying into a PostgreSQL catalog in use', () => {
  it('keeps other writers waiting until the copy has committed', async () => {
    const name = `catalog_${++databases}`;
    await server.createDatabase(name);
    const [target, worker] = [0, 1].map(() => openPostgresCatalog(postgresUrl(server, name), { now }));
    const source = sqlite();
    await history(source);
    let written = false;
    let write: Promise<void> | undefined;
    try {
      await (worker as Catalog).schemaVersion();
      await (target as Catalog).transaction(async (tx) => {
        await tx.lockRecords();
        write = (worker as Catalog).startRun('backup').then(() => {
          written = true;
        });
        await lockWaitSeen(name);
        expect(written).toBe(false);
        await copyCatalog(source, tx);
      });
      await write;
      expect(written).toBe(true);
      const runs = await (target as Catalog).records('runs', { offset: 0, limit: 10 });
      expect(runs.map((run) => run.id)).toEqual([1, 2, 3, 4]);
    } finally {
      await Promise.all([source.close(), target?.close(), worker?.close()]);
    }
  }, 60_000);
});

/** Waits until a session of `database` waits for a lock (gives up after 30 s). */
async function lockWaitSeen(database: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const waiting = await server.sql(
      database,
      `SELECT count(*) FROM pg_stat_activity WHERE datname = '${database}' AND wait_event_type = 'Lock'`,
    );
    if (waiting.trim() !== '0') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no session waited for the copy’s lock');
}
