import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Catalog, type Manifest, openSqliteCatalog } from '@tricopy/core';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresCatalog } from './pg-catalog.js';
import { PG_MIGRATIONS } from './pg-migrations.js';
import { postgresUrl } from './testing/postgres-url.js';

/** One suite, both catalogs: what a caller sees must not depend on where the catalog lives. */
let server: PostgresServer;
let dir: string;
let databases = 0;
beforeAll(async () => {
  server = await startPostgres();
  dir = await mkdtemp(join(tmpdir(), 'tricopy-catalog-suite-'));
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const clock = { now: new Date('2026-12-01T10:00:00.000Z') };
const now = () => clock.now;

const kinds: [string, () => Promise<Catalog>][] = [
  ['SQLite', async () => openSqliteCatalog(join(dir, `catalog-${++databases}.db`), now)],
  [
    'PostgreSQL',
    async () => {
      const name = `catalog_${++databases}`;
      await server.createDatabase(name);
      return openPostgresCatalog(postgresUrl(server, name), { now });
    },
  ],
];

const backup = (id: string, startedAt: string, job = 'app') => ({ id, job, sourceType: 'sqlite', startedAt });
const copy = (
  backupId: string,
  destination: string,
  status: 'pending' | 'verified' | 'failed' = 'verified',
) => ({
  backupId,
  destination,
  status,
  key: `app/${backupId}/app.db.zst`,
  location: `/b/${destination}`,
  size: 5_000_000_000,
  sha256: 'a'.repeat(64),
  attempts: 1,
  error: null,
});

describe.each(kinds)('the %s catalog', (_kind, open) => {
  let catalog: Catalog;
  beforeEach(async () => {
    catalog = await open();
  });
  afterEach(async () => {
    await catalog.close();
  });

  it('is migrated on first use', async () => {
    expect(await catalog.schemaVersion()).toBeGreaterThan(0);
  });

  it('records runs with increasing ids', async () => {
    const first = await catalog.startRun('backup app');
    const second = await catalog.startRun('backup app');
    expect(second).toBeGreaterThan(first);
    await catalog.finishRun(first, 'ok');
  });

  it('keeps a backup as written, sizes past 2^31 as numbers, newest first, filtered by job and status', async () => {
    const run = await catalog.startRun('backup');
    await catalog.insertBackup({ ...backup('b1', '2026-12-01T01:00:00.000Z'), runId: run });
    await catalog.insertBackup(backup('b2', '2026-12-01T02:00:00.000Z'));
    await catalog.insertBackup(backup('o1', '2026-12-01T03:00:00.000Z', 'other'));
    const manifest = { job: 'app', backupId: 'b1', copies: [] } as unknown as Manifest;
    await catalog.finishBackup('b1', {
      status: 'ok',
      finishedAt: '2026-12-01T01:05:00.000Z',
      size: 5_000_000_000,
      sha256: 'b'.repeat(64),
      compression: 'zstd',
      manifest,
    });
    const b1 = await catalog.getBackup('b1');
    expect(b1).toMatchObject({
      status: 'ok',
      size: 5_000_000_000,
      compression: 'zstd',
      manifest,
      prunedAt: null,
    });
    expect(await catalog.getBackup('nope')).toBeUndefined();
    expect((await catalog.listBackups()).map((b) => b.id)).toEqual(['o1', 'b2', 'b1']);
    expect((await catalog.listBackups({ job: 'app' })).map((b) => b.id)).toEqual(['b2', 'b1']);
    expect((await catalog.listBackups({ statuses: ['ok'] })).map((b) => b.id)).toEqual(['b1']);
    expect(await catalog.listBackups({ statuses: [] })).toEqual([]);
  });

  it('orders backups by when they were recorded, not by a clock that jumped', async () => {
    // Recorded first while the clock was a day ahead, then two at the right time.
    await catalog.insertBackup(backup('ahead', '2026-12-02T01:00:00.000Z'));
    await catalog.insertBackup(backup('real', '2026-12-01T01:00:00.000Z'));
    await catalog.insertBackup(backup('newest', '2026-12-01T01:30:00.000Z'));
    for (const id of ['ahead', 'real', 'newest']) {
      await catalog.finishBackup(id, { status: 'ok', finishedAt: '2026-12-01T01:40:00.000Z', size: 10 });
      await catalog.upsertCopy(copy(id, 'usb'));
    }
    expect((await catalog.listBackups({ job: 'app' })).map((b) => b.id)).toEqual(['newest', 'real', 'ahead']);
    const status = await catalog.statusRecords(['usb']);
    expect(status.newestGood.map((b) => b.id)).toEqual(['newest']);
    expect(status.newestLiveGood.map((b) => b.id)).toEqual(['newest']);
    expect(status.newestVerified).toEqual([{ job: 'app', finishedAt: '2026-12-01T01:40:00.000Z' }]);
    // A rebuild re-importing a known backup keeps its place; one the catalog did not know comes last.
    const manifestOf = (id: string, createdAt: string) =>
      ({
        job: 'app',
        backupId: id,
        createdAt,
        finishedAt: createdAt,
        source: { type: 'sqlite' },
        artifact: {
          format: 'sqlite',
          compression: 'none',
          key: `app/${id}/a`,
          size: 1,
          sha256: 'c'.repeat(64),
        },
        copies: [],
      }) as unknown as Manifest;
    await catalog.importFromManifest(manifestOf('ahead', '2026-12-02T01:00:00.000Z'), []);
    await catalog.importFromManifest(manifestOf('found', '2026-12-01T02:00:00.000Z'), []);
    const seqs = (await catalog.listBackups({ job: 'app' })).map((b) => [b.id, b.seq]);
    expect(seqs.map(([id]) => id)).toEqual(['found', 'newest', 'real', 'ahead']);
    expect(new Set(seqs.map(([, seq]) => seq)).size).toBe(4);
  });

  it('upserts a copy per destination, and updates its status', async () => {
    await catalog.insertBackup(backup('b1', '2026-12-01T01:00:00.000Z'));
    await catalog.upsertCopy(copy('b1', 'usb', 'pending'));
    await catalog.upsertCopy(copy('b1', 'nas'));
    await catalog.upsertCopy(copy('b1', 'usb'));
    await catalog.setCopyStatus('b1', 'nas', 'failed', 'gone');
    const copies = await catalog.listCopies('b1');
    expect(copies.map((c) => [c.destination, c.status, c.error, c.size])).toEqual([
      ['nas', 'failed', 'gone', 5_000_000_000],
      ['usb', 'verified', null, 5_000_000_000],
    ]);
  });

  it('records verifications; the last one that is not the backup-time check', async () => {
    await catalog.insertBackup(backup('b1', '2026-12-01T01:00:00.000Z'));
    const v = {
      backupId: 'b1',
      destination: 'usb',
      status: 'ok',
      expectedSize: 1,
      expectedSha256: null,
      actualSize: 1,
      actualSha256: null,
      detail: null,
    };
    await catalog.recordVerification({ ...v, level: 'deep' });
    await catalog.recordVerification({ ...v, level: 'backup' });
    expect((await catalog.lastVerification('b1'))?.level).toBe('deep');
    expect((await catalog.listVerifications('b1')).map((x) => x.level)).toEqual(['deep', 'backup']);
    expect(await catalog.lastVerification('nope')).toBeUndefined();
  });

  it('fails the unfinished backups of one job and says which', async () => {
    await catalog.insertBackup(backup('b1', '2026-12-01T01:00:00.000Z'));
    await catalog.insertBackup(backup('b2', '2026-12-01T02:00:00.000Z'));
    await catalog.insertBackup(backup('o1', '2026-12-01T02:00:00.000Z', 'other'));
    expect(await catalog.failUnfinishedBackups('app', 'interrupted')).toEqual(['b1', 'b2']);
    expect((await catalog.getBackup('b2'))?.status).toBe('failed');
    expect((await catalog.getBackup('o1'))?.status).toBe('running');
  });

  it('flags, confirms, prunes and deletes', async () => {
    await catalog.insertBackup(backup('b1', '2026-12-01T01:00:00.000Z'));
    await catalog.upsertCopy(copy('b1', 'usb'));
    await catalog.flagBackup('b1', 'small');
    await catalog.confirmBackup('b1');
    await catalog.markPruned('b1');
    await catalog.setBackupStatus('b1', 'degraded');
    expect(await catalog.getBackup('b1')).toMatchObject({
      flagged: 'small',
      confirmedAt: clock.now.toISOString(),
      prunedAt: clock.now.toISOString(),
      status: 'degraded',
    });
    await catalog.deleteBackup('b1');
    expect(await catalog.getBackup('b1')).toBeUndefined();
    expect(await catalog.listCopies('b1')).toEqual([]);
  });

  it('starts a stale episode once, and ends it once', async () => {
    expect(await catalog.startStaleEpisode('app')).toBe(true);
    expect(await catalog.startStaleEpisode('app')).toBe(false);
    expect(await catalog.endStaleEpisode('app')).toBe(true);
    expect(await catalog.endStaleEpisode('app')).toBe(false);
  });

  it('imports a manifest over what it knew of that backup', async () => {
    await catalog.insertBackup(backup('b1', '2026-12-01T01:00:00.000Z'));
    const manifest = {
      job: 'app',
      backupId: 'b1',
      createdAt: '2026-12-01T01:00:00.000Z',
      finishedAt: '2026-12-01T01:01:00.000Z',
      source: { type: 'sqlite' },
      artifact: {
        key: 'app/b1/app.db.zst',
        format: 'sqlite',
        compression: 'zstd',
        size: 9,
        sha256: 'c'.repeat(64),
      },
      copies: [],
    } as unknown as Manifest;
    await catalog.importFromManifest(manifest, [copy('b1', 'usb')]);
    expect(await catalog.getBackup('b1')).toMatchObject({
      status: 'ok',
      size: 9,
      artifactKey: 'app/b1/app.db.zst',
    });
    expect((await catalog.listCopies('b1')).map((c) => c.destination)).toEqual(['usb']);
  });

  it("reads every job's status records at once: newest good, newest unpruned, newest verified, counts", async () => {
    const done = (at: string) => ({ status: 'ok' as const, finishedAt: at, size: 5_000_000_000 });
    for (const [id, at] of [
      ['b1', '01'],
      ['b2', '02'],
      ['b3', '03'],
    ] as const) {
      await catalog.insertBackup(backup(id, `2026-12-01T${at}:00:00.000Z`));
      await catalog.finishBackup(id, done(`2026-12-01T${at}:05:00.000Z`));
    }
    await catalog.insertBackup(backup('o1', '2026-12-01T04:00:00.000Z', 'other'));
    await catalog.finishBackup('o1', { status: 'failed', finishedAt: '2026-12-01T04:01:00.000Z' });
    await catalog.upsertCopy(copy('b1', 'nas'));
    await catalog.upsertCopy(copy('b2', 'nas', 'pending'));
    await catalog.upsertCopy(copy('b2', 'usb'));
    await catalog.markPruned('b3');
    const passed = { destination: 'nas', status: 'ok', expectedSize: 1, actualSize: 1, detail: null };
    const hashes = { expectedSha256: null, actualSha256: null };
    await catalog.recordVerification({ ...passed, ...hashes, backupId: 'b1', level: 'stat' });
    // b3 is pruned: its verification no longer counts.
    await catalog.recordVerification({ ...passed, ...hashes, backupId: 'b3', level: 'deep' });
    const records = await catalog.statusRecords(['nas']);
    expect(records.newestGood.map((b) => b.id)).toEqual(['b3']);
    expect(records.newestLiveGood.map((b) => [b.id, b.size])).toEqual([['b2', 5_000_000_000]]);
    expect(records.newestLiveGoodCopies.map((c) => [c.destination, c.status])).toEqual([
      ['nas', 'pending'],
      ['usb', 'verified'],
    ]);
    expect(records.newestVerified).toEqual([{ job: 'app', finishedAt: '2026-12-01T01:05:00.000Z' }]);
    expect(records.lastPassed).toEqual([{ job: 'app', level: 'stat', checkedAt: clock.now.toISOString() }]);
    expect([...records.runs].sort((a, b) => a.job.localeCompare(b.job))).toEqual([
      { job: 'app', status: 'ok', count: 3 },
      { job: 'other', status: 'failed', count: 1 },
    ]);
    // The newest 2 sizes of each job, pruned backups included; the failed one has no size.
    expect(await catalog.sizeTrends(2)).toEqual([
      { job: 'app', size: 5_000_000_000 },
      { job: 'app', size: 5_000_000_000 },
    ]);
    // Each job's last run, whatever its status; the checks whose newest did not pass (b1's on nas passed since).
    expect(records.newestRun.map((b) => [b.id, b.status]).sort()).toEqual([
      ['b3', 'ok'],
      ['o1', 'failed'],
    ]);
    const failed = { ...hashes, status: 'checksum-mismatch', expectedSize: 1, actualSize: 1, detail: null };
    await catalog.recordVerification({ ...failed, backupId: 'b1', destination: 'nas', level: 'deep' });
    await catalog.recordVerification({ ...passed, ...hashes, backupId: 'b1', level: 'deep' });
    await catalog.recordVerification({ ...failed, backupId: 'b2', destination: 'usb', level: 'deep' });
    const refused = { ...hashes, expectedSize: 1, actualSize: null, detail: 'permission denied' };
    await catalog.recordVerification({
      ...refused,
      backupId: 'b2',
      destination: null,
      level: 'restore-test',
      status: 'error',
    });
    const checks = (await catalog.statusRecords(['nas'])).failedChecks;
    expect(checks.map((c) => [c.job, c.backupId, c.destination, c.level, c.status, c.detail])).toEqual([
      ['app', 'b2', null, 'restore-test', 'error', 'permission denied'],
      ['app', 'b2', 'usb', 'deep', 'checksum-mismatch', null],
    ]);
  });

  it("gives a period's backups, their copies and its verifications (drills too), of the jobs asked", async () => {
    const check = { status: 'ok', expectedSize: 1, actualSize: 1, expectedSha256: null, actualSha256: null };
    clock.now = new Date('2026-11-01T00:00:00.000Z');
    await catalog.insertBackup(backup('old', '2026-11-01T00:00:00.000Z'));
    await catalog.recordVerification({
      ...check,
      backupId: 'old',
      destination: 'nas',
      level: 'deep',
      detail: null,
    });
    clock.now = new Date('2026-12-01T10:00:00.000Z');
    await catalog.insertBackup(backup('new', '2026-12-01T01:00:00.000Z'));
    await catalog.insertBackup(backup('o1', '2026-12-01T02:00:00.000Z', 'other'));
    await catalog.upsertCopy(copy('new', 'usb'));
    await catalog.upsertCopy(copy('new', 'nas', 'failed'));
    await catalog.upsertCopy(copy('old', 'nas'));
    await catalog.upsertCopy(copy('o1', 'nas'));
    await catalog.recordVerification({
      ...check,
      backupId: 'old',
      destination: 'nas',
      level: 'stat',
      detail: null,
    });
    const drill = '{"target":"staging","durationMs":5,"assertions":[]}';
    await catalog.recordVerification({
      ...check,
      backupId: 'new',
      destination: 'usb',
      level: 'drill',
      detail: drill,
    });
    await catalog.recordVerification({
      ...check,
      backupId: 'o1',
      destination: 'nas',
      level: 'deep',
      detail: null,
    });

    const app = await catalog.reportRecords({ since: '2026-11-15T00:00:00.000Z', jobs: ['app'] });
    expect(app.backups.map((b) => b.id)).toEqual(['new']);
    expect(app.copies.map((c) => [c.backupId, c.destination, c.status])).toEqual([
      ['new', 'nas', 'failed'],
      ['new', 'usb', 'verified'],
    ]);
    expect(app.verifications.map((v) => [v.job, v.backupId, v.level, v.detail])).toEqual([
      ['app', 'old', 'stat', null],
      ['app', 'new', 'drill', drill],
    ]);
    const all = await catalog.reportRecords({ since: '2026-11-15T00:00:00.000Z' });
    expect(all.backups.map((b) => b.id)).toEqual(['new', 'o1']);
    expect(all.verifications.map((v) => v.backupId)).toEqual(['old', 'new', 'o1']);
  });

  it('applies a transaction whole or not at all', async () => {
    await expect(
      catalog.transaction(async (tx) => {
        await tx.insertBackup(backup('b1', '2026-12-01T01:00:00.000Z'));
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await catalog.getBackup('b1')).toBeUndefined();
    await catalog.transaction(async (tx) => {
      await tx.insertBackup(backup('b1', '2026-12-01T01:00:00.000Z'));
      await tx.upsertCopy(copy('b1', 'usb'));
    });
    expect((await catalog.listCopies('b1')).length).toBe(1);
  });
});

describe('a PostgreSQL catalog that cannot be opened', () => {
  async function openFailure(url: string): Promise<string> {
    const catalog = openPostgresCatalog(url, { now });
    try {
      await catalog.listBackups();
      throw new Error('the catalog opened');
    } catch (error) {
      return (error as Error).message;
    } finally {
      await catalog.close();
    }
  }

  it('names the database and what to fix, never the password', async () => {
    const wrongPassword = postgresUrl({ ...server, password: 'not-the-password' }, 'postgres');
    const refused = `postgres://${server.user}:${encodeURIComponent(server.password)}@127.0.0.1:1/postgres`;
    const messages = {
      missing: await openFailure(postgresUrl(server, 'no_such_catalog')),
      password: await openFailure(wrongPassword),
      refused: await openFailure(refused),
    };
    expect(messages.missing).toBe(
      `cannot open the catalog at postgres://${server.user}@${server.host}:${server.port}/no_such_catalog: the database does not exist (create it first, e.g. createdb, or fix the name in catalog:)`,
    );
    expect(messages.password).toContain('password authentication failed');
    expect(messages.refused).toContain('at postgres://postgres@127.0.0.1:1/postgres: connection refused');
    for (const message of Object.values(messages)) expect(message).not.toContain(server.password);
  });
});

describe('upgrading an older PostgreSQL catalog', () => {
  it('numbers its backups by run, then by start time, and new ones after them', async () => {
    const name = `catalog_${++databases}`;
    await server.createDatabase(name);
    await server.sql(
      name,
      `CREATE SCHEMA tricopy; SET search_path = tricopy; ${PG_MIGRATIONS[0]}
       CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);
       INSERT INTO runs (command, started_at) VALUES ('backup', 'x'), ('backup', 'y');
       INSERT INTO backups (id, job, run_id, status, started_at, source_type) VALUES
         ('real', 'app', 2, 'ok', '2026-12-01T01:00:00.000Z', 'sqlite'),
         ('ahead', 'app', 1, 'ok', '2026-12-02T01:00:00.000Z', 'sqlite'),
         ('imported', 'app', NULL, 'ok', '2026-12-03T01:00:00.000Z', 'sqlite');`,
    );
    const catalog = openPostgresCatalog(postgresUrl(server, name), { now });
    try {
      expect(await catalog.schemaVersion()).toBe(PG_MIGRATIONS.length);
      expect((await catalog.listBackups()).map((b) => [b.id, b.seq])).toEqual([
        ['real', 3],
        ['ahead', 2],
        ['imported', 1],
      ]);
      await catalog.insertBackup(backup('next', '2000-01-01T00:00:00.000Z'));
      expect((await catalog.getBackup('next'))?.seq).toBe(4);
    } finally {
      await catalog.close();
    }
  });
});
