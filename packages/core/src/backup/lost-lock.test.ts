import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@tricopy/contract';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import type { CatalogJobLocks } from '../catalog/catalog.js';
import { openSqliteCatalog } from '../catalog/sqlite-catalog.js';
import { parseConfig } from '../config/load.js';
import { runBackups } from '../schedule/run-backups.js';
import { Session } from '../session/session.js';

const FILE_SOURCE = fileURLToPath(new URL('../__fixtures__/file-source.mjs', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-lost-lock-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Catalog job locks (as fleet mode keeps them in PostgreSQL) whose connection breaks as soon as a run starts. */
function locksLostAtStart(): { locks: CatalogJobLocks; lose(): void } {
  const lost = new AbortController();
  const locks: CatalogJobLocks = {
    acquire: async () => ({
      acquired: true,
      lock: { path: 'catalog lock of job "app"', lost: lost.signal, release: async () => {} },
    }),
    isAlive: async () => true,
  };
  return {
    locks,
    lose: () =>
      lost.abort(new Error('the catalog lock of job "app" was lost: its database connection ended')),
  };
}

it('a run whose catalog lock is lost fails, and the report says so, for the caller to run it again', async () => {
  await writeFile(join(dir, 'data.sql'), 'INSERT INTO t VALUES (1);\n');
  const config = await parseConfig(
    `
destinations:
  primary: { type: local, path: ./primary, fsync: false }
jobs:
  app:
    source: { type: ${FILE_SOURCE}, path: ./data.sql, hang: true }
    destinations: [primary]
catalog: ./catalog.db
workDir: ./work
`,
    join(dir, 'tricopy.yaml'),
    {},
    TEST_PLUGINS,
  );
  const { locks, lose } = locksLostAtStart();
  const catalog = Object.assign(openSqliteCatalog(join(dir, 'catalog.db')), { jobLocks: locks });
  const session = new Session({ config, logger: silentLogger, catalog });
  try {
    const report = await runBackups(session, ['app'], {
      lostLockIsRetried: true,
      events: { onJobStart: () => setImmediate(lose) },
    });
    expect(report.runs[0]).toMatchObject({ status: 'failed' });
    expect(report.runs[0]?.error).toContain('was lost');
    expect(report.lostLock).toEqual(['app']);
  } finally {
    await session.close();
    await session.closeCatalog();
  }
});
