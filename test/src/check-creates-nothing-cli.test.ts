// tricopy check changes nothing unasked: a local destination whose folder does not exist yet is reported (what
// backup will do, how to create it now), never created by the check's probe.
import { existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';

interface CheckJson {
  ok: boolean;
  destinations: { destination: string; ok: boolean; note?: string; error?: string }[];
}

const job = (destinations: string) => `
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [${destinations}]
policy: { copies: 1, media: 1, offsite: 0 }
`;

describe('check on a destination folder that does not exist yet', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await makeWorkspace('check-creates-nothing');
    await copyFile(join(FIXTURES, 'chinook/Chinook_Sqlite.sqlite'), join(ws.dir, 'app.db'));
  });
  afterAll(() => ws.remove());

  it('says what backup will do and how to create it, and creates nothing; backup then creates it', async () => {
    await ws.writeConfig(`destinations:\n  disk: { type: local, path: ./backups }\n${job('disk')}`);
    const check = await tricopy(['check'], { cwd: ws.dir });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const folder = join(ws.dir, 'backups');
    expect(check.stdout).toContain(
      `ok: folder ${folder} does not exist yet: tricopy backup creates it (mode 0700), or create it now with mkdir -m 700 ${folder}`,
    );
    const json = await tricopyJson<CheckJson>(['check'], { cwd: ws.dir });
    expect(json.json.destinations).toEqual([
      expect.objectContaining({ destination: 'disk', ok: true, note: expect.stringContaining(folder) }),
    ]);
    expect(existsSync(folder)).toBe(false);

    expect((await tricopy(['backup'], { cwd: ws.dir })).code).toBe(0);
    expect(existsSync(folder)).toBe(true);
    const again = await tricopyJson<CheckJson>(['check'], { cwd: ws.dir });
    expect(again.json.destinations[0]).toEqual(expect.not.objectContaining({ note: expect.anything() }));
    expect(again.json.ok).toBe(true);
  });

  it('fails on a folder whose parent is missing (an unmounted disk), creating nothing', async () => {
    await ws.writeConfig(`destinations:\n  usb: { type: local, path: ./usb/tricopy }\n${job('usb')}`);
    const check = await tricopy(['check'], { cwd: ws.dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      `FAILED: destination "usb": folder ${join(ws.dir, 'usb/tricopy')} does not exist and its parent ${join(ws.dir, 'usb')} is missing or not writable`,
    );
    expect(existsSync(join(ws.dir, 'usb'))).toBe(false);
  });
});
