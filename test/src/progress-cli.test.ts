import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';

/** Restores and deep verifies report their progress on stderr (here not a terminal: plain lines). */
describe('progress of restore and verify', () => {
  let ws: Workspace;
  let id: string;

  beforeAll(async () => {
    ws = await makeWorkspace('progress');
    await mkdir(join(ws.dir, 'dest'));
    await copyFile(join(FIXTURES, 'chinook/Chinook_Sqlite.sqlite'), join(ws.dir, 'app.db'));
    await ws.writeConfig(`
destinations:
  primary: { type: local, path: ./dest/primary, fsync: false }
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary]
policy: { copies: 1, media: 1, offsite: 0 }
`);
    const backup = await tricopyJson<{ runs: { backupId: string }[] }>(['backup'], { cwd: ws.dir });
    expect(backup.code, backup.stderr).toBe(0);
    id = backup.json.runs[0]?.backupId as string;
  }, 60_000);
  afterAll(() => ws.remove());

  it('restore: the check and the restore each get a start and an end line', async () => {
    const result = await tricopy(['restore', id, '--to', join(ws.dir, 'r1.db')], { cwd: ws.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`^${id}: checking primary: \\S+ \\S+$`, 'm'));
    expect(result.stderr).toMatch(new RegExp(`^${id}: checking primary: .* of .* \\(100%, .*\\) done$`, 'm'));
    expect(result.stderr).toMatch(new RegExp(`^${id}: restoring from primary: .*\\(100%, .*\\) done$`, 'm'));
  });

  it('nothing with --quiet, and --json keeps stdout one JSON document', async () => {
    const quiet = await tricopy(['restore', id, '--to', join(ws.dir, 'r2.db'), '--quiet'], { cwd: ws.dir });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toBe('');
    const json = await tricopyJson<{ backupId: string }>(['restore', id, '--to', join(ws.dir, 'r3.db')], {
      cwd: ws.dir,
    });
    expect(json.json.backupId).toBe(id);
    expect(json.stderr).not.toContain('checking primary');
  });

  it('verify --deep and --restore-test show their reads', async () => {
    const deep = await tricopy(['verify', id, '--deep'], { cwd: ws.dir });
    expect(deep.code, deep.stderr).toBe(0);
    expect(deep.stderr).toMatch(new RegExp(`^${id}: re-hashing primary: .* done$`, 'm'));
    const test = await tricopy(['verify', id, '--restore-test'], { cwd: ws.dir });
    expect(test.code, test.stderr).toBe(0);
    expect(test.stderr).toMatch(new RegExp(`^${id}: restore test: restoring from primary: .* done$`, 'm'));
  });
});
