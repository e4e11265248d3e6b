import { mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, tricopy, type Workspace } from './cli.js';
import { startLogged, until } from './fleet-cli.js';
import { FLEET_CONFIG, makeSqliteDatabase } from './fleet-env.js';
import { started, stop } from './serve-env.js';

/** The daemon's rotating verification against a real backup: due copies re-hashed, the latest restore-tested. */

const CONFIG = FLEET_CONFIG.replace(
  'maxAge: 26h',
  'maxAge: 26h\n    schedule: "0 3 * * *"\n    verify: { deep: 7d, restoreTest: 30d }',
);

describe('daemon: rotating verification', () => {
  let ws: Workspace;
  let backupId: string;

  beforeAll(async () => {
    ws = await makeWorkspace('rotation');
    await mkdir(join(ws.dir, 'dest'));
    makeSqliteDatabase(join(ws.dir, 'app.db'));
    await ws.writeConfig(CONFIG);
    expect((await tricopy(['backup', 'app'], { cwd: ws.dir })).code).toBe(0);
    // The backup as if made 8 days ago: its copies, never deep-verified since, are past the 7d window.
    const catalog = new Database(join(ws.dir, '.tricopy/catalog.db'));
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000).toISOString();
    catalog.prepare('UPDATE backups SET finished_at = ?').run(eightDaysAgo);
    backupId = (catalog.prepare('SELECT id FROM backups').get() as { id: string }).id;
    catalog.close();
  }, 60_000);
  afterAll(() => ws.remove());

  it('skips (logged, not failed) a job whose lock another live process holds, and records nothing of it', async () => {
    // Another tricopy process (here a stand-in that is alive) holds the job's lock file, as a backup or prune would.
    const holder = execa('sleep', ['60']);
    const lock = join(ws.dir, '.tricopy/locks/app.lock');
    await mkdir(dirname(lock), { recursive: true });
    const owner = { pid: holder.pid, host: hostname(), since: new Date().toISOString(), token: 'elsewhere' };
    await writeFile(lock, `${JSON.stringify(owner)}\n`);
    const daemon = startLogged(['daemon'], { cwd: ws.dir });
    try {
      await until('the rotation skipped the job', () =>
        daemon.log.some((l) => l.includes('job app: rotating verification skipped this time')),
      );
    } finally {
      daemon.child.kill('SIGTERM');
      expect((await daemon.child).exitCode).toBe(0);
      holder.kill('SIGKILL');
      await holder.catch(() => undefined);
      await rm(lock);
    }
    expect(daemon.log.filter((l) => l.includes('"level":50') || l.includes('"level":40'))).toEqual([]);
    const db = new Database(join(ws.dir, '.tricopy/catalog.db'), { readonly: true });
    const deep = db.prepare('SELECT count(*) AS n FROM verifications WHERE level = ?').get('deep') as {
      n: number;
    };
    db.close();
    expect(deep.n).toBe(0);
  });

  it('at start re-hashes the overdue copies and restore-tests the latest backup, recorded in the catalog', async () => {
    const { child, url } = await started(ws, ['daemon', '--listen', '127.0.0.1:0']);
    let stderr = '';
    try {
      for (let i = 0; i < 300; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const api = (await (await fetch(`${url}/api/jobs/app`)).json()) as {
          backups: { verifications: { level: string; destination: string | null; status: string }[] }[];
        };
        const levels = api.backups[0]?.verifications.map(
          (v) => `${v.level}:${v.destination ?? ''}:${v.status}`,
        );
        if (levels?.some((l) => l.startsWith('restore-test:') && l.endsWith(':ok'))) break;
      }
      const page = await (await fetch(`${url}/jobs/app`)).text();
      expect(page).toMatch(/primary: <span class="ok">verified<\/span>, deep verify \d+s ago/);
    } finally {
      const result = await stop(child);
      stderr = result.stderr;
      expect(result.code).toBe(0);
    }
    expect(stderr).toMatch(/job app: rotating deep verify of 2 copies: ok/);
    expect(stderr).toContain(`job app: restore test of ${backupId}: ok`);
    expect(stderr).not.toMatch(/\n\s+at /);
    const db = new Database(join(ws.dir, '.tricopy/catalog.db'), { readonly: true });
    const levels = db
      .prepare('SELECT level, destination, status FROM verifications WHERE level != ? ORDER BY id')
      .all('backup') as { level: string; destination: string | null; status: string }[];
    db.close();
    const deep = levels.filter((l) => l.level === 'deep').map((l) => `${l.destination}:${l.status}`);
    expect(deep).toEqual(expect.arrayContaining(['primary:ok', 'usb:ok']));
    expect(levels.some((l) => l.level === 'restore-test' && l.status === 'ok')).toBe(true);
  });

  it('a bad verify window is a config error naming its key (exit 2)', async () => {
    await ws.writeConfig(CONFIG.replace('deep: 7d', 'deep: weekly'));
    const result = await tricopy(['daemon'], { cwd: ws.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/jobs\.app\.verify\.deep: expected a duration/);
    await ws.writeConfig(CONFIG);
  });
});
