import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import type { Catalog, CopyStatus, VerificationRow } from '../catalog/catalog.js';
import { openSqliteCatalog } from '../catalog/sqlite-catalog.js';
import { type LoadedConfig, parseConfig } from '../config/load.js';
import { backupPolicy } from '../copies/policy.js';
import { buildReport } from './report.js';

/** The report's data, gathered from a SQLite catalog filled through the catalog's own API. */

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T00:00:00Z');
const SINCE = new Date(NOW.getTime() - 90 * DAY);
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

const DRILL_DETAIL = JSON.stringify({
  target: 'staging_app',
  durationMs: 4200,
  assertions: [
    { name: 'orders today', sql: 'SELECT count(*) FROM orders', value: 12, ok: true },
    { name: 'sentinel', sql: "SELECT 1 FROM users WHERE email = 'x'", value: null, ok: false },
  ],
  error: 'assertion sentinel failed',
});

describe('report data', () => {
  let dir: string;
  let config: LoadedConfig;
  let catalog: Catalog;
  let clock: Date;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-report-'));
    config = await parseConfig(
      `
destinations:
  near: { type: local, path: ./near }
  usb: { type: local, path: ./usb, media: removable }
  far: { type: local, path: ./far, offsite: true }
policy: { copies: 3, media: 2, offsite: 1 }
jobs:
  app: { source: { type: sqlite, path: ./app.db }, destinations: [near, usb, far] }
  billing: { source: { type: sqlite, path: ./billing.db }, destinations: [near] }
catalog: ./catalog.db
workDir: ./work
`,
      join(dir, 'tricopy.yaml'),
      {},
      TEST_PLUGINS,
    );
    clock = NOW;
    catalog = openSqliteCatalog(join(dir, 'catalog.db'), () => clock);
  });
  afterEach(async () => {
    await catalog.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function backup(id: string, job: string, at: Date, copies: Record<string, CopyStatus>) {
    clock = at;
    await catalog.insertBackup({ id, job, sourceType: 'sqlite', startedAt: at.toISOString() });
    for (const [destination, status] of Object.entries(copies)) {
      await catalog.upsertCopy({
        backupId: id,
        destination,
        status,
        key: `${job}/${id}`,
        location: `/${destination}/${job}/${id}`,
        size: 100,
        sha256: 'ab'.repeat(32),
        attempts: 1,
        error: status === 'failed' ? 'size mismatch' : null,
      });
      await check(id, destination, 'backup', status === 'failed' ? 'size-mismatch' : 'ok', at);
    }
    const finishedAt = new Date(at.getTime() + 90_000).toISOString();
    await catalog.finishBackup(id, { status: 'ok', finishedAt, size: 100, sha256: 'ab'.repeat(32) });
  }

  async function check(
    backupId: string,
    destination: string | null,
    level: VerificationRow['level'],
    status: string,
    at: Date,
    detail: string | null = null,
  ) {
    clock = at;
    await catalog.recordVerification({
      backupId,
      destination,
      level,
      status,
      expectedSize: 100,
      expectedSha256: null,
      actualSize: status === 'ok' ? 100 : 7,
      actualSha256: null,
      detail,
    });
  }

  it('lists each backup of the period with its copies, cross-checks and 3-2-1 status', async () => {
    await backup('app-old', 'app', daysAgo(120), { near: 'verified' });
    await backup('app-1', 'app', daysAgo(30), { near: 'verified', usb: 'verified', far: 'verified' });
    await backup('app-2', 'app', daysAgo(2), { near: 'verified', usb: 'failed' });
    await backup('billing-1', 'billing', daysAgo(1), { near: 'verified' });

    const report = await buildReport({ catalog, config }, { since: SINCE, now: NOW });

    expect(report.version).toBe(1);
    expect(report.since).toBe(SINCE.toISOString());
    expect(report.generatedAt).toBe(NOW.toISOString());
    expect(report.policy).toEqual({ copies: 3, media: 2, offsite: 1 });
    expect(report.jobs.map((j) => j.job)).toEqual(['app', 'billing']);
    const app = report.jobs[0];
    expect(app?.backups.map((b) => b.backupId)).toEqual(['app-1', 'app-2']);
    const [first, second] = app?.backups ?? [];
    expect(first?.durationMs).toBe(90_000);
    expect(first?.copies.map((c) => [c.destination, c.status])).toEqual([
      ['far', 'verified'],
      ['near', 'verified'],
      ['usb', 'verified'],
    ]);
    expect(first?.policy).toEqual(backupPolicy(await catalog.listCopies('app-1'), config));
    expect(first?.policy.met).toBe(true);
    expect(second?.policy.met).toBe(false);
    expect(second?.checks.map((c) => [c.level, c.storedLevel, c.copy, c.status, c.passed])).toEqual([
      ['exists', 'backup', 'near', 'ok', true],
      ['exists', 'backup', 'usb', 'size-mismatch', false],
    ]);
    expect(app?.policy).toMatchObject({ goodBackups: 2, pruned: 0, kept: 2, keptMet: 1, met: false });
    expect(app?.policy.configured?.met).toBe(true);
    expect(report.jobs[1]?.policy.configured?.shortfall).toBe('1 copy of 3; 1 medium of 2; 0 offsite of 1');
  });

  it('lists the verifications of the period, of backups of any age, and leaves out older ones', async () => {
    await backup('app-old', 'app', daysAgo(120), { near: 'verified', usb: 'verified' });
    await check('app-old', 'near', 'deep', 'ok', daysAgo(100));
    await check('app-old', 'usb', 'deep', 'checksum-mismatch', daysAgo(10));
    await check('app-old', 'near', 'stat', 'ok', daysAgo(9));
    await check('app-old', null, 'restore-test', 'failed', daysAgo(8), 'orders: 3 rows, manifest says 4');

    const report = await buildReport({ catalog, config }, { since: SINCE, now: NOW });

    const app = report.jobs.find((j) => j.job === 'app');
    expect(app?.backups).toEqual([]);
    expect(
      app?.verifications.map((v) => [v.backupId, v.level, v.copy, v.status, v.passed, v.checkedAt]),
    ).toEqual([
      ['app-old', 'deep', 'usb', 'checksum-mismatch', false, daysAgo(10).toISOString()],
      ['app-old', 'exists', 'near', 'ok', true, daysAgo(9).toISOString()],
      ['app-old', 'restore-test', null, 'failed', false, daysAgo(8).toISOString()],
    ]);
    expect(app?.verifications[2]?.detail).toBe('orders: 3 rows, manifest says 4');
    expect(app?.policy).toMatchObject({ goodBackups: 0, met: false });
  });

  it('shows drill rows as drills, with their target, duration, assertions and error', async () => {
    await backup('app-1', 'app', daysAgo(3), { near: 'verified' });
    await check('app-1', 'near', 'drill', 'failed', daysAgo(2), DRILL_DETAIL);
    await check('app-1', 'usb', 'drill', 'ok', daysAgo(1), 'not json <b>');

    const report = await buildReport({ catalog, config }, { since: SINCE, now: NOW, jobs: ['app'] });

    expect(report.jobs.map((j) => j.job)).toEqual(['app']);
    const [drill, odd] = report.jobs[0]?.drills ?? [];
    expect(drill).toEqual({
      backupId: 'app-1',
      copy: 'near',
      checkedAt: daysAgo(2).toISOString(),
      status: 'failed',
      passed: false,
      target: 'staging_app',
      durationMs: 4200,
      assertions: [
        { name: 'orders today', sql: 'SELECT count(*) FROM orders', value: '12', ok: true },
        { name: 'sentinel', sql: "SELECT 1 FROM users WHERE email = 'x'", value: null, ok: false },
      ],
      error: 'assertion sentinel failed',
      detail: DRILL_DETAIL,
    });
    expect(odd).toMatchObject({ passed: true, target: null, durationMs: null, assertions: [] });
    expect(odd?.error).toBe('not json <b>');
    expect(report.jobs[0]?.verifications).toEqual([]);
  });

  it('reads a drill detail of the wrong shape without failing', async () => {
    await backup('app-1', 'app', daysAgo(3), { near: 'verified' });
    const shapes = [
      '[1,2]',
      '{"durationMs":"soon","assertions":{"a":1},"target":5}',
      '{"assertions":[7,{"ok":"y"}]}',
    ];
    for (const [n, detail] of shapes.entries())
      await check('app-1', 'near', 'drill', 'ok', daysAgo(2 - n / 2), detail);

    const drills = (await buildReport({ catalog, config }, { since: SINCE, now: NOW })).jobs[0]?.drills;

    expect(drills?.map((d) => [d.target, d.durationMs, d.assertions, d.error])).toEqual([
      [null, null, [], '[1,2]'],
      ['5', null, [], null],
      [null, null, [{ name: null, sql: null, value: null, ok: null }], null],
    ]);
  });

  it('keeps a job no longer configured that has records in the period, without a configured 3-2-1', async () => {
    await backup('gone-1', 'gone', daysAgo(5), { near: 'verified' });

    const report = await buildReport({ catalog, config }, { since: SINCE, now: NOW });

    const gone = report.jobs.find((j) => j.job === 'gone');
    expect(gone?.configured).toBe(false);
    expect(gone?.policy.configured).toBeNull();
    expect(gone?.backups.map((b) => b.backupId)).toEqual(['gone-1']);
  });
});
