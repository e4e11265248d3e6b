// An unset ${VAR} in a notify target leaves out that target only: list and metrics work, the backup runs and says
// which target it could not use, and check fails naming it.
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';

describe('an unset variable in notify:', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await makeWorkspace('notify-unset');
    await mkdir(join(ws.dir, 'dest'));
    await copyFile(join(FIXTURES, 'chinook/Chinook_Sqlite.sqlite'), join(ws.dir, 'app.db'));
    await ws.writeConfig(`
notify:
  - { type: healthcheck, url: "https://hc-ping.com/\${HC_UUID}" }
destinations:
  primary: { type: local, path: ./dest/primary }
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary]
`);
  });
  afterAll(() => ws.remove());

  it('list and metrics still work', async () => {
    const list = await tricopy(['list'], { cwd: ws.dir });
    expect(list.code, list.stderr).toBe(0);
    const metrics = await tricopy(['metrics'], { cwd: ws.dir });
    expect(metrics.code, metrics.stderr).toBe(0);
    expect(metrics.stdout).toContain('tricopy_');
  });

  it('backup runs and says which notification target it left out', async () => {
    const backup = await tricopy(['backup'], { cwd: ws.dir });
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stderr).toContain(
      'notification target left out (jobs app are not notified by it): notify[0].url: environment variable HC_UUID is not set',
    );
  });

  it('check fails naming the target', async () => {
    const check = await tricopy(['check'], { cwd: ws.dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      'FAILED job app: notification target left out: notify[0].url: environment variable HC_UUID is not set',
    );
    const json = await tricopyJson<{ ok: boolean; jobs: { notifyUnusable: string[] }[] }>(['check'], {
      cwd: ws.dir,
    });
    expect(json.json.ok).toBe(false);
    expect(json.json.jobs[0]?.notifyUnusable).toEqual([
      'notify[0].url: environment variable HC_UUID is not set',
    ]);
  });
});
