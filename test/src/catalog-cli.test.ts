// The catalog through the real CLI: a clock that jumps, a catalog on a read-only file system, a catalog file
// replaced during a run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeWorkspace, REPO_ROOT, startTricopy, tricopy, tricopyJson, type Workspace } from './cli.js';

const FILE_SOURCE = join(REPO_ROOT, 'packages/core/src/__fixtures__/file-source.mjs');
/** Debian's libfaketime (scripts/install-test-deps.sh installs it), for this machine's architecture. */
const LIBFAKETIME = ['x86_64-linux-gnu', 'aarch64-linux-gnu']
  .map((triplet) => `/usr/lib/${triplet}/faketime/libfaketime.so.1`)
  .find((path) => existsSync(path));

interface ListJson {
  backups: { backupId: string; state: string }[];
}

/** A one-table SQLite database holding `value`. */
function writeDatabase(path: string, value: string): void {
  const db = new Database(path);
  db.exec('CREATE TABLE IF NOT EXISTS t (v TEXT); DELETE FROM t;');
  db.prepare('INSERT INTO t (v) VALUES (?)').run(value);
  db.close();
}

function valueIn(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT v FROM t').get() as { v: string }).v;
  } finally {
    db.close();
  }
}

const config = (catalog: string, retention = '{ keepLast: 1 }') => `
catalog: ${catalog}
destinations:
  primary: { type: local, path: ./dest/primary }
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary]
    retention: ${retention}
`;

let ws: Workspace;
const run = () => ({ cwd: ws.dir });
beforeEach(async () => {
  ws = await makeWorkspace('catalog');
  await mkdir(join(ws.dir, 'dest'));
  await mkdir(join(ws.dir, 'cat'));
});
afterEach(() => ws.remove());

/** Backs up `value`; with `clockAhead` (e.g. '+1d') the whole process runs with a clock that far ahead. */
async function backUp(value: string, clockAhead?: string): Promise<string> {
  writeDatabase(join(ws.dir, 'app.db'), value);
  const env: Record<string, string> =
    clockAhead === undefined
      ? {}
      : { LD_PRELOAD: LIBFAKETIME as string, FAKETIME: clockAhead, DONT_FAKE_MONOTONIC: '1' };
  const result = await tricopyJson<{ runs: { backupId: string; status: string }[] }>(['backup'], {
    ...run(),
    env,
  });
  expect(result.code, result.stderr).toBe(0);
  return result.json.runs[0]?.backupId as string;
}

async function restoredLatest(): Promise<string> {
  const target = join(ws.dir, `restored-${Date.now()}.db`);
  const result = await tricopy(['restore', '--latest', '--job', 'app', '--to', target], run());
  expect(result.code, result.stderr).toBe(0);
  return valueIn(target);
}

describe.skipIf(LIBFAKETIME === undefined)('a clock that jumped', () => {
  it.each([
    ['keepLast: 1', '{ keepLast: 1 }'],
    ['keepWithin: 1h', '{ keepWithin: 1h }'],
  ])(
    '%s: prune keeps the newest backup recorded, and restore --latest restores it',
    async (_name, retention) => {
      await ws.writeConfig(config('./cat/catalog.db', retention));
      const ahead = await backUp('made while the clock was a day ahead', '+1d');
      await backUp('older real data');
      const newest = await backUp('the newest data');
      const pruned = await tricopy(['prune'], run());
      expect(pruned.code, pruned.stderr).toBe(0);
      const listed = await tricopyJson<ListJson>(['list', '--all'], run());
      const live = listed.json.backups.filter((b) => b.state !== 'pruned').map((b) => b.backupId);
      expect(live).toContain(newest);
      expect(live).not.toContain(ahead);
      expect(await restoredLatest()).toBe('the newest data');
    },
  );
});

describe('a catalog on a read-only file system', () => {
  /** `cat` seen through a read-only bind mount; undefined where mounting is not allowed (not root). */
  async function readOnlyCatalogFolder(): Promise<string | undefined> {
    const view = join(ws.dir, 'cat-ro');
    await mkdir(view);
    const mounted = spawnSync('mount', ['--bind', '-o', 'ro', join(ws.dir, 'cat'), view]).status === 0;
    return mounted ? view : undefined;
  }

  it('backup fails with one line naming the catalog and why; list and restore still work', async (context) => {
    await ws.writeConfig(config('./cat/catalog.db'));
    await backUp('the data');
    const view = await readOnlyCatalogFolder();
    if (view === undefined) return context.skip('a read-only bind mount needs root');
    try {
      await ws.writeConfig(config('./cat-ro/catalog.db'));
      const backup = await tricopy(['backup'], run());
      expect(backup.code).toBe(1);
      const path = join(view, 'catalog.db');
      expect(backup.stderr).toContain(
        `cannot open the catalog ${path}: its file system is read-only (EROFS); make it writable, or point catalog: in the config at a writable path`,
      );
      expect(backup.stderr).not.toContain('    at ');
      const listed = await tricopyJson<ListJson>(['list'], run());
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.json.backups).toHaveLength(1);
      expect(await restoredLatest()).toBe('the data');
    } finally {
      spawnSync('umount', [view]);
    }
  });
});

describe('the catalog file replaced during a run', () => {
  it('the run fails, naming the catalog, instead of saying OK with its record gone', async () => {
    await ws.writeConfig(config('./cat/catalog.db'));
    await backUp('first');
    const path = join(ws.dir, 'cat', 'catalog.db');
    await copyFile(path, join(ws.dir, 'cat', 'older.db'));
    // A source that reads a FIFO: the backup waits on it while the catalog file is replaced by an older copy.
    const fifo = join(ws.dir, 'dump.fifo');
    spawnSync('mkfifo', [fifo]);
    await ws.writeConfig(
      config('./cat/catalog.db').replace(
        '{ type: sqlite, path: ./app.db }',
        `{ type: ${FILE_SOURCE}, path: ${fifo} }`,
      ),
    );
    const running = startTricopy(['backup'], run());
    const writer = await open(fifo, 'w'); // returns once the backup is reading its source
    await rename(join(ws.dir, 'cat', 'older.db'), path);
    await writer.write('the dump\n');
    await writer.close();
    const result = await running;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `the catalog ${path} was replaced by another file while this command ran`,
    );
    expect(result.stderr).toContain('this run is NOT recorded in the catalog');
    expect(result.stderr).not.toContain('    at ');
  });
});
