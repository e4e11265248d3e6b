import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Destination, silentLogger } from '@tricopy/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { parseConfig } from '../config/load.js';
import { acquireJobLock, lockPath } from '../locks/job-lock.js';
import { selectBackups, usableCopies } from '../readback/select.js';
import { runBackups } from '../schedule/run-backups.js';
import { Session } from '../session/session.js';
import { verifyBackups } from '../verify/verify.js';
import { pruneBackups, removeCopy } from './prune.js';

const FILE_SOURCE = fileURLToPath(new URL('../__fixtures__/file-source.mjs', import.meta.url));
const HOUR = 3_600_000;

interface Ws {
  dir: string;
  session: Session;
  advance(ms: number): void;
  backup(): Promise<{ id: string; status: string; error?: string }>;
  onDisk(destination: string): Promise<string[]>;
}

async function workspace(dir: string, jobExtra = '', sourceExtra = ''): Promise<Ws> {
  await mkdir(join(dir, 'd'), { recursive: true });
  await writeFile(join(dir, 'data.sql'), 'INSERT INTO t VALUES (1);\n'.repeat(500));
  const config = await parseConfig(
    `
destinations:
  primary: { type: local, path: ./d/primary, fsync: false }
  usb: { type: local, path: ./d/usb, media: removable, fsync: false }
jobs:
  app:
    source: { type: ${FILE_SOURCE}, path: ./data.sql${sourceExtra} }
    destinations: [primary, usb]
    compression: none
    timezone: UTC
${jobExtra}
catalog: ./catalog.db
workDir: ./work
retries: { attempts: 0 }
`,
    join(dir, 'tricopy.yaml'),
    {},
    TEST_PLUGINS,
  );
  let now = new Date('2025-03-01T01:00:00Z').getTime();
  const session = new Session({ config, logger: silentLogger, now: () => new Date(now) });
  return {
    dir,
    session,
    advance: (ms) => {
      now += ms;
    },
    async backup() {
      const run = (await runBackups(session, ['app'])).runs[0];
      return {
        id: run?.backupId ?? '',
        status: run?.status ?? '',
        ...(run?.error ? { error: run.error } : {}),
      };
    },
    async onDisk(destination) {
      const entries = await readdir(join(dir, 'd', destination, 'app')).catch(() => [] as string[]);
      return entries.filter((e) => !e.startsWith('.')).sort();
    },
  };
}

describe('prune safety rules', () => {
  let dir: string;
  let ws: Ws;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-prune-'));
  });
  afterEach(async () => {
    await ws?.session.close();
    await ws?.session.closeCatalog();
    await rm(dir, { recursive: true, force: true });
  });

  it('does not prune a destination whose newest backup is not verified there; prunes the others', async () => {
    ws = await workspace(dir, '    retention: { keepLast: 1 }');
    const first = await ws.backup();
    ws.advance(HOUR);
    const second = await ws.backup();
    ws.advance(HOUR);
    // usb's folder becomes a file: the third backup's copy there fails.
    await rename(join(dir, 'd', 'usb'), join(dir, 'd', 'usb.away'));
    await writeFile(join(dir, 'd', 'usb'), 'not a folder');
    const third = await ws.backup();
    expect(third.status).toBe('degraded');
    await rm(join(dir, 'd', 'usb'));
    await rename(join(dir, 'd', 'usb.away'), join(dir, 'd', 'usb'));

    const report = await pruneBackups(ws.session);
    const usb = report.jobs[0]?.destinations.find((d) => d.destination === 'usb');
    expect(usb?.skipped).toContain(`the newest backup ${third.id}`);
    expect(usb?.skipped).toContain('no verified copy here');
    expect(await ws.onDisk('usb')).toEqual([first.id, second.id]);
    expect(await ws.onDisk('primary')).toEqual([third.id]);
  });

  it('never removes the newest verified copy, and dry-run removes nothing but lists what would go', async () => {
    ws = await workspace(dir, '    retention: { keepLast: 1 }');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await ws.backup()).id);
      ws.advance(HOUR);
    }
    const dry = await pruneBackups(ws.session, { dryRun: true });
    for (const d of dry.jobs[0]?.destinations ?? []) {
      expect(d.removed.map((r) => [r.backupId, r.status])).toEqual([
        [ids[1], 'would-delete'],
        [ids[0], 'would-delete'],
      ]);
    }
    expect(await ws.onDisk('primary')).toEqual(ids);
    await pruneBackups(ws.session);
    expect(await ws.onDisk('primary')).toEqual([ids[2]]);
    expect(await ws.onDisk('usb')).toEqual([ids[2]]);
  });

  it('leaves objects the catalog does not know alone and reports them', async () => {
    ws = await workspace(dir, '    retention: { keepLast: 1 }');
    const old = await ws.backup();
    ws.advance(HOUR);
    const newest = await ws.backup();
    await mkdir(join(dir, 'd', 'primary', 'app', '20200101T000000Z-abcdef'), { recursive: true });
    await writeFile(join(dir, 'd', 'primary', 'app', '20200101T000000Z-abcdef', 'app.txt'), 'someone else');
    await writeFile(join(dir, 'd', 'primary', 'app', 'notes.txt'), 'keep me');
    const report = await pruneBackups(ws.session);
    const primary = report.jobs[0]?.destinations.find((d) => d.destination === 'primary');
    expect(primary?.foreign).toEqual(['app/20200101T000000Z-abcdef/app.txt', 'app/notes.txt']);
    expect(primary?.removed.map((r) => r.backupId)).toEqual([old.id]);
    expect(await ws.onDisk('primary')).toEqual(['20200101T000000Z-abcdef', newest.id, 'notes.txt']);
  });

  it('leaves a copy alone when what is stored does not match the catalog', async () => {
    ws = await workspace(dir, '    retention: { keepLast: 1 }');
    const old = await ws.backup();
    ws.advance(HOUR);
    await ws.backup();
    await writeFile(join(dir, 'd', 'primary', 'app', old.id, 'app.txt'), 'replaced by something else');
    const report = await pruneBackups(ws.session);
    expect(report.ok).toBe(false);
    const removed = report.jobs[0]?.destinations.find((d) => d.destination === 'primary')?.removed[0];
    expect(removed?.status).toBe('left-alone');
    expect(removed?.error).toMatch(/holds 26 bytes, the catalog records \d+/);
    expect(existsSync(join(dir, 'd', 'primary', 'app', old.id, 'app.txt'))).toBe(true);
  });

  it('leaves a copy alone when the store keeps a SHA-256 other than the recorded one, the size being right', async () => {
    ws = await workspace(dir, '    retention: { keepLast: 1 }');
    const old = await ws.backup();
    const real = await ws.session.destination('primary');
    // A store that keeps each object's SHA-256 (as S3 does) reports the one of bytes other than the backup's.
    const otherBytes: Pick<Destination, 'stat' | 'delete'> = {
      stat: async (key) => {
        const info = await real.stat(key);
        return info === undefined ? undefined : { ...info, sha256: 'f'.repeat(64) };
      },
      delete: (key) => real.delete(key),
    };
    const backup = await ws.session.catalog.getBackup(old.id);
    const copy = (await ws.session.catalog.listCopies(old.id)).find((c) => c.destination === 'primary');
    if (backup === undefined || copy === undefined) throw new Error('the backup was not recorded');
    const removed = await removeCopy(ws.session, otherBytes as Destination, 'primary', backup, copy, false);
    expect(removed.status).toBe('left-alone');
    expect(removed.error).toMatch(
      /holds other bytes \(sha256 f{64}\), the catalog records sha256 [0-9a-f]{64}/,
    );
    expect(existsSync(join(dir, 'd', 'primary', 'app', old.id, 'app.txt'))).toBe(true);
  });

  it('a much smaller dump is flagged and blocks pruning until confirmed', async () => {
    ws = await workspace(dir, '    retention: { keepLast: 1, shrinkThreshold: 0.5 }');
    const big = await ws.backup();
    ws.advance(HOUR);
    await writeFile(join(dir, 'data.sql'), 'INSERT INTO t VALUES (1);\n');
    const small = await ws.backup();
    expect(small.status).toBe('ok');
    expect((await ws.session.catalog.getBackup(small.id))?.flagged).toMatch(
      /is 0\.2% of the previous backup/,
    );

    const blocked = await pruneBackups(ws.session);
    expect(blocked.jobs[0]?.skipped).toContain(`tricopy confirm ${small.id}`);
    expect(await ws.onDisk('primary')).toEqual([big.id, small.id]);

    await ws.session.catalog.confirmBackup(small.id);
    await pruneBackups(ws.session);
    expect(await ws.onDisk('primary')).toEqual([small.id]);
  });

  it('an interrupted prune (copy marked deleting, manifest gone) is invisible to readers and finished next time', async () => {
    ws = await workspace(dir, '    retention: { keepLast: 1 }');
    const old = await ws.backup();
    ws.advance(HOUR);
    await ws.backup();
    // What a crash between "mark deleting" and "delete artifact" leaves behind.
    await ws.session.catalog.setCopyStatus(old.id, 'primary', 'deleting');
    await rm(join(dir, 'd', 'primary', 'app', old.id, 'manifest.json'));
    expect((await usableCopies(ws.session, old.id)).map((c) => c.destination)).toEqual(['usb']);

    const report = await pruneBackups(ws.session);
    expect(report.ok).toBe(true);
    expect(await ws.onDisk('primary')).toHaveLength(1);
    expect((await ws.session.catalog.listCopies(old.id)).map((c) => c.status)).toEqual([
      'deleted',
      'deleted',
    ]);
    expect((await ws.session.catalog.getBackup(old.id))?.prunedAt).not.toBeNull();
  });

  it('per-destination retention overrides the job rules', async () => {
    ws = await workspace(
      dir,
      '    retention: { keepLast: 1 }\n    retentionByDestination:\n      usb: { keepLast: 3 }',
    );
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push((await ws.backup()).id);
      ws.advance(HOUR);
    }
    await pruneBackups(ws.session);
    expect(await ws.onDisk('primary')).toEqual(ids.slice(3));
    expect(await ws.onDisk('usb')).toEqual(ids.slice(1));
    // A backup pruned on one destination only is still ok, and verify checks only the copy that remains.
    const partly = await ws.session.catalog.getBackup(ids[1] as string);
    const report = await verifyBackups(ws.session, [partly as NonNullable<typeof partly>], 'deep');
    expect(report.copies.map((c) => [c.destination, c.status])).toEqual([['usb', 'ok']]);
    expect((await ws.session.catalog.getBackup(ids[1] as string))?.status).toBe('ok');
  });
});

describe('a clock that jumps', () => {
  let dir: string;
  let ws: Ws;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-clock-'));
  });
  afterEach(async () => {
    await ws?.session.close();
    await ws?.session.closeCatalog();
    await rm(dir, { recursive: true, force: true });
  });

  /** A backup taken while the clock was a day ahead, then two at the right time, half an hour apart. */
  async function jumpedBackups(retention: string): Promise<{ ahead: string; real: string; newest: string }> {
    ws = await workspace(dir, `    retention: ${retention}`);
    ws.advance(24 * HOUR);
    const ahead = (await ws.backup()).id;
    ws.advance(-24 * HOUR);
    const real = (await ws.backup()).id;
    ws.advance(HOUR / 2);
    const newest = (await ws.backup()).id;
    ws.advance(60_000);
    return { ahead, real, newest };
  }

  it('keepLast 1 keeps the newest backup recorded, not the one dated in the future', async () => {
    const { newest } = await jumpedBackups('{ keepLast: 1 }');
    await pruneBackups(ws.session);
    expect(await ws.onDisk('primary')).toEqual([newest]);
    expect(await ws.onDisk('usb')).toEqual([newest]);
  });

  it('keepWithin 1h does not trust a backup dated in the future', async () => {
    const { real, newest } = await jumpedBackups('{ keepWithin: 1h }');
    await pruneBackups(ws.session);
    expect(await ws.onDisk('primary')).toEqual([real, newest].sort());
  });

  it('the latest backup, for restore --latest and the status, is the newest recorded', async () => {
    const { newest } = await jumpedBackups('{ keepLast: 5 }');
    const latest = await selectBackups(ws.session, { job: 'app', latest: true });
    expect(latest.map((b) => b.id)).toEqual([newest]);
    const records = await ws.session.catalog.statusRecords(['primary', 'usb']);
    expect(records.newestLiveGood.map((b) => b.id)).toEqual([newest]);
  });
});

describe('job lock', () => {
  let dir: string;
  let ws: Ws;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-lock-'));
  });
  afterEach(async () => {
    await ws?.session.close();
    await ws?.session.closeCatalog();
    await rm(dir, { recursive: true, force: true });
  });

  it('a job whose lock is held does not run, and says who holds it', async () => {
    ws = await workspace(dir);
    const path = lockPath(ws.session.config.catalogPath, 'app');
    const held = await acquireJobLock(path, 'app');
    expect(held.acquired).toBe(true);
    const run = await ws.backup();
    expect(run.status).toBe('failed');
    expect(run.error).toContain('job "app" is being backed up by pid');
    expect(run.error).toContain(`pid ${process.pid}`);
    expect(run.error).toContain(path);
    if (held.acquired) await held.lock.release();
    expect((await ws.backup()).status).toBe('ok');
    expect(existsSync(path)).toBe(false);
  });

  it('with lockWaitMs, a job waits for a lock that is released meanwhile and runs; past it, it is refused', async () => {
    ws = await workspace(dir);
    const path = lockPath(ws.session.config.catalogPath, 'app');
    const held = await acquireJobLock(path, 'app');
    if (!held.acquired) throw new Error('the test could not take the lock');
    const release = setTimeout(() => void held.lock.release(), 1500);
    const waited = await runBackups(ws.session, ['app'], { lockWaitMs: 30_000 });
    clearTimeout(release);
    expect(waited.runs[0]?.status).toBe('ok');

    const again = await acquireJobLock(path, 'app');
    if (!again.acquired) throw new Error('the test could not take the lock again');
    const refused = await runBackups(ws.session, ['app'], { lockWaitMs: 1200 });
    await again.lock.release();
    expect(refused.runs[0]?.status).toBe('failed');
    expect(refused.runs[0]?.error).toContain('job "app" is being backed up by pid');
  });

  it('takes over a stale lock left by a dead process on this host', async () => {
    ws = await workspace(dir);
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid as number;
    const path = lockPath(ws.session.config.catalogPath, 'app');
    await mkdir(join(dir, 'locks'), { recursive: true });
    await writeFile(
      path,
      JSON.stringify({ pid: dead, host: hostname(), since: '2025-01-01T00:00:00Z', token: 'x' }),
    );
    const run = await ws.backup();
    expect(run.status).toBe('ok');
    expect(existsSync(path)).toBe(false);
  });

  it('does not take over a lock held by a live process, nor one from another host', async () => {
    ws = await workspace(dir);
    const path = lockPath(ws.session.config.catalogPath, 'app');
    await mkdir(join(dir, 'locks'), { recursive: true });
    await writeFile(
      path,
      JSON.stringify({ pid: 999999, host: 'other-host', since: '2025-01-01T00:00:00Z', token: 'y' }),
    );
    const run = await ws.backup();
    expect(run.status).toBe('failed');
    expect(run.error).toContain('pid 999999 on other-host');
  });
});

describe('timeout', () => {
  let dir: string;
  let ws: Ws;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-timeout-'));
  });
  afterEach(async () => {
    await ws?.session.close();
    await ws?.session.closeCatalog();
    await rm(dir, { recursive: true, force: true });
  });

  it('kills a hung dump at the job timeout, fails the run and leaves nothing under a final name', async () => {
    ws = await workspace(dir, '    timeout: 1s', ', hang: true');
    const run = await ws.backup();
    expect(run.status).toBe('failed');
    expect(run.error).toContain('job "app" timed out after 1000 ms');
    // No file at all is left (an empty backup folder may remain; the local destination does not prune folders).
    for (const destination of ['primary', 'usb']) {
      const files = await readdir(join(dir, 'd', destination), {
        recursive: true,
        withFileTypes: true,
      }).catch(() => []);
      expect(files.filter((f) => f.isFile()).map((f) => f.name)).toEqual([]);
    }
    expect((await ws.session.catalog.getBackup(run.id))?.status).toBe('failed');
    // The lock was released: the next run can start.
    expect(existsSync(lockPath(ws.session.config.catalogPath, 'app'))).toBe(false);
  });
});
