import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import type { Catalog } from '../catalog/catalog.js';
import type { Row } from '../catalog/rows.js';
import { SqlCatalog } from '../catalog/sql-catalog.js';
import type { SqlConnection } from '../catalog/sql-connection.js';
import { openSqliteCatalog } from '../catalog/sqlite-catalog.js';
import { type LoadedConfig, parseConfig } from '../config/load.js';
import { fleetStatus, jobStatus } from './fleet-status.js';

/** fleetStatus reads every job at once in a few set-based queries; jobStatus, one job row by row, is the reference. */

const JOBS = ['a', 'b', 'c', 'd', 'e', 'f'];
const STATUSES = ['ok', 'degraded', 'failed', 'running'];
const COPY_STATUSES = ['pending', 'verified', 'failed', 'deleting', 'deleted'];
const LEVELS = ['backup', 'stat', 'deep', 'restore-test'];
// `gone` is no longer configured: its verified copies count for nothing.
const DESTINATIONS = ['near', 'usb', 'far', 'gone'];
const NOW = new Date('2026-06-01T00:00:00Z');

/** A small seeded generator (mulberry32), so that a failing seed can be replayed. */
function random(seed: number) {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  // Few distinct instants, so that backups share start times.
  const instant = () => new Date(NOW.getTime() - Math.floor(next() * 40) * 3_600_000).toISOString();
  return { next, pick, instant };
}

/** Backups of the jobs (and of `old`, which the config no longer has) with random copies and verifications. */
async function fillRandomly(catalog: Catalog, seed: number, backupsPerJob: number): Promise<void> {
  const r = random(seed);
  const backups: Row[] = [];
  const copies: Row[] = [];
  const verifications: Row[] = [];
  for (const job of [...JOBS, 'old']) {
    for (let n = 0; n < backupsPerJob; n++) {
      const id = `${job}-${String(Math.floor(r.next() * 1000)).padStart(3, '0')}-${n}`;
      const startedAt = r.instant();
      const finished = r.next() < 0.85;
      const finishedAt = finished ? new Date(Date.parse(startedAt) + r.next() * 600_000).toISOString() : null;
      backups.push({
        id,
        job,
        status: r.pick(STATUSES),
        started_at: startedAt,
        finished_at: finishedAt,
        source_type: 'sqlite',
        size: r.next() < 0.9 ? Math.floor(r.next() * 1e9) : null,
        pruned_at: r.next() < 0.25 ? NOW.toISOString() : null,
        // Recorded in an order of their own: start times do not decide which is newest.
        seq: Math.floor(r.next() * 1e9),
        flagged: r.next() < 0.2 ? `table t${n} lost rows` : null,
        confirmed_at: r.next() < 0.5 ? NOW.toISOString() : null,
      });
      for (const destination of DESTINATIONS) {
        if (r.next() < 0.3) continue;
        copies.push({
          backup_id: id,
          destination,
          status: r.pick(COPY_STATUSES),
          key: `${job}/${id}`,
          attempts: 1,
          updated_at: startedAt,
        });
      }
      for (let v = Math.floor(r.next() * 4); v > 0; v--) {
        verifications.push({
          id: verifications.length + 1,
          backup_id: id,
          destination: r.pick(DESTINATIONS),
          level: r.pick(LEVELS),
          status: r.next() < 0.7 ? 'ok' : 'failed',
          checked_at: r.instant(),
        });
      }
    }
  }
  await catalog.addRecords('backups', backups);
  await catalog.addRecords('copies', copies);
  await catalog.addRecords('verifications', verifications);
}

/** A SqlConnection over the catalog file that counts the statements it is given. */
function countingConnection(path: string) {
  const db = new Database(path);
  const counter = { statements: 0 };
  const connection: SqlConnection = {
    async all(sql, params = []) {
      counter.statements++;
      return db.prepare(sql).all(...params) as Row[];
    },
    async run(sql, params = []) {
      counter.statements++;
      return db.prepare(sql).run(...params).changes;
    },
    transaction: (fn) => fn(connection),
  };
  return { connection, counter, close: () => db.close() };
}

describe('fleet status in a fixed number of queries', () => {
  let dir: string;
  let config: LoadedConfig;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-fleet-status-'));
    config = await parseConfig(
      `
destinations:
  near: { type: local, path: ./near }
  usb: { type: local, path: ./usb, media: removable }
  far: { type: local, path: ./far, offsite: true }
policy: { copies: 2, media: 2, offsite: 1 }
jobs:
${JOBS.map((job, i) => `  ${job}: { source: { type: sqlite, path: ./${job}.db }, destinations: [near, usb, far]${i % 2 ? ', maxAge: 12h' : ''} }`).join('\n')}
catalog: ./catalog.db
workDir: ./work
`,
      join(dir, 'tricopy.yaml'),
      {},
      TEST_PLUGINS,
    );
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('gives exactly what reading each job row by row gives, on random catalogs', async () => {
    for (let seed = 1; seed <= 25; seed++) {
      const path = join(dir, `catalog-${seed}.db`);
      const catalog = openSqliteCatalog(path, () => NOW);
      try {
        await fillRandomly(catalog, seed, 1 + (seed % 12));
        const sources = { catalog, config };
        const rowByRow = [];
        for (const job of JOBS) rowByRow.push(await jobStatus(sources, job, NOW));
        expect(await fleetStatus(sources, NOW), `seed ${seed}`).toEqual(rowByRow);
      } finally {
        await catalog.close();
      }
    }
  });

  it("gives each job's newest sizes as reading each job's backups gives them, on random catalogs", async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const catalog = openSqliteCatalog(join(dir, `trend-${seed}.db`), () => NOW);
      try {
        await fillRandomly(catalog, seed, 2 + seed * 3);
        const trends = await catalog.sizeTrends(5);
        for (const job of [...JOBS, 'old']) {
          const good = await catalog.listBackups({ job, statuses: ['ok', 'degraded'] });
          const expected = good.flatMap((b) => (b.size === null ? [] : [b.size])).slice(0, 5);
          expect(
            trends.filter((t) => t.job === job).map((t) => t.size),
            `seed ${seed} ${job}`,
          ).toEqual(expected);
        }
      } finally {
        await catalog.close();
      }
    }
  });

  it('runs as many statements for 40 backups a job as for 2', async () => {
    const statementsFor = async (backupsPerJob: number) => {
      const path = join(dir, `count-${backupsPerJob}.db`);
      const filling = openSqliteCatalog(path, () => NOW);
      await fillRandomly(filling, backupsPerJob, backupsPerJob);
      await filling.close();
      const counting = countingConnection(path);
      try {
        const catalog = new SqlCatalog(counting.connection, { now: () => NOW, schemaVersion: async () => 0 });
        await fleetStatus({ catalog, config }, NOW);
        return counting.counter.statements;
      } finally {
        counting.close();
      }
    };
    const few = await statementsFor(2);
    expect(await statementsFor(40)).toBe(few);
    expect(few).toBeLessThanOrEqual(9);
  });
});
