import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@tricopy/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { parseConfig } from '../config/load.js';
import { applyRetention } from '../copies/retention.js';
import { runBackups } from '../schedule/run-backups.js';
import { Session } from '../session/session.js';
import { pruneBackups } from './prune.js';

const FILE_SOURCE = fileURLToPath(new URL('../__fixtures__/file-source.mjs', import.meta.url));
const DAY = 86_400_000;

/** A clock the test moves by hand. */
function clock(start: string) {
  let now = new Date(start).getTime();
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

async function backupDirs(dir: string, job: string): Promise<string[]> {
  const entries = await readdir(join(dir, job)).catch(() => [] as string[]);
  return entries.filter((e) => !e.startsWith('.')).sort();
}

describe('retention over simulated months (Session clock, real local destinations)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-ops-'));
    await mkdir(join(dir, 'd'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('after 200 daily backups every destination holds exactly what its rules promise', async () => {
    await writeFile(join(dir, 'data.sql'), 'INSERT INTO t VALUES (1);\n'.repeat(200));
    const config = await parseConfig(
      `
destinations:
  primary: { type: local, path: ./d/primary, fsync: false }
  usb: { type: local, path: ./d/usb, media: removable, fsync: false }
  offsite: { type: local, path: ./d/offsite, media: tape, offsite: true, fsync: false }
jobs:
  app:
    source: { type: ${FILE_SOURCE}, path: ./data.sql }
    destinations: [primary, usb, offsite]
    compression: gzip
    timezone: UTC
    retention: { keepLast: 2, keepDaily: 7, keepWeekly: 4, keepMonthly: 6, auto: true }
    retentionByDestination:
      offsite: { keepMonthly: 12, keepYearly: 3, auto: true }
catalog: ./catalog.db
workDir: ./work
`,
      join(dir, 'tricopy.yaml'),
      {},
      TEST_PLUGINS,
    );
    const time = clock('2025-01-01T02:00:00Z');
    const session = new Session({ config, logger: silentLogger, now: time.now });
    const taken: { id: string; time: Date }[] = [];
    try {
      for (let day = 0; day < 200; day++) {
        const report = await runBackups(session, ['app']);
        const run = report.runs[0];
        expect(run?.status, run?.error).toBe('ok');
        taken.push({ id: run?.backupId as string, time: new Date(run?.startedAt as string) });
        time.advance(DAY + (day % 5) * 3_600_000); // not always the same hour
      }
      const expected = {
        primary: applyRetention(taken, { keepLast: 2, keepDaily: 7, keepWeekly: 4, keepMonthly: 6 }, 'UTC'),
        usb: applyRetention(taken, { keepLast: 2, keepDaily: 7, keepWeekly: 4, keepMonthly: 6 }, 'UTC'),
        offsite: applyRetention(taken, { keepMonthly: 12, keepYearly: 3 }, 'UTC'),
      };
      for (const [destination, decision] of Object.entries(expected)) {
        const want = decision.keep.map((k) => k.snapshot.id).sort();
        // On disk: exactly the kept backups, each with its artifact and manifest.
        expect(await backupDirs(join(dir, 'd', destination), 'app'), destination).toEqual(want);
        for (const id of want) {
          expect((await readdir(join(dir, 'd', destination, 'app', id))).sort()).toEqual([
            'app.txt.gz',
            'manifest.json',
          ]);
        }
        // In the catalog: the same set verified, everything else deleted.
        const verified: string[] = [];
        for (const t of taken) {
          const copies = await session.catalog.listCopies(t.id);
          if (copies.some((c) => c.destination === destination && c.status === 'verified'))
            verified.push(t.id);
        }
        verified.sort();
        expect(verified, destination).toEqual(want);
      }
      // The rules themselves, independently of applyRetention: 7 days + 4 weeks + 6 months on primary means
      // the oldest kept backup is from about 6 months before the newest; offsite keeps one per month.
      const primaryKept = expected.primary.keep.map((k) => k.snapshot.time.getTime());
      expect(primaryKept.length).toBeGreaterThanOrEqual(7 + 2 + 3);
      expect(primaryKept.length).toBeLessThanOrEqual(2 + 7 + 4 + 6);
      expect((Math.max(...primaryKept) - Math.min(...primaryKept)) / DAY).toBeGreaterThan(120);
      const months = new Set(taken.map((t) => t.time.toISOString().slice(0, 7)));
      expect(expected.offsite.keep).toHaveLength(months.size);
      // A pruned-everywhere backup is marked as such.
      const oldest = taken[1] as { id: string };
      expect((await session.catalog.getBackup(oldest.id))?.prunedAt).not.toBeNull();
      // Nothing is left to prune: a second prune removes nothing.
      const again = await pruneBackups(session, {});
      expect(again.jobs[0]?.destinations.flatMap((d) => d.removed)).toEqual([]);
    } finally {
      await session.close();
      await session.closeCatalog();
    }
  }, 240_000); // 600 copies written and checked; slow when the 2 cores are shared
});
