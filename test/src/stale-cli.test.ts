import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';
import { FLEET_CONFIG, makeSqliteDatabase, sample } from './fleet-env.js';

const NOTIFY = `
notify:
  - type: command
    command: [sh, -c, 'cat >> stale-notes.jsonl && echo >> stale-notes.jsonl']
`;

/** Staleness: maxAge against real backups, seen by check, list and metrics, notified once per episode. */
describe('a job past its maxAge', () => {
  let ws: Workspace;
  const configWith = (maxAge: string) =>
    ws.writeConfig(FLEET_CONFIG.replace('maxAge: 26h', `maxAge: ${maxAge}`) + NOTIFY);
  const notes = async () =>
    (await readFile(join(ws.dir, 'stale-notes.jsonl'), 'utf8').catch(() => ''))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeAll(async () => {
    ws = await makeWorkspace('stale');
    await mkdir(join(ws.dir, 'dest'));
    makeSqliteDatabase(join(ws.dir, 'app.db'));
    await configWith('26h');
    expect((await tricopy(['backup', 'app'], { cwd: ws.dir })).code).toBe(0);
  }, 60_000);
  afterAll(() => ws.remove());

  it('is fresh within maxAge: check exits 0 and notifies nothing', async () => {
    const check = await tricopy(['check', 'app'], { cwd: ws.dir });
    expect(check.stdout).not.toMatch(/STALE/);
    expect(check.code).toBe(0);
    expect(await notes()).toEqual([]);
  });

  it('past maxAge: check exits 1 naming the job and by how much, list and metrics show it, one notification', async () => {
    await configWith('1s');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const check = await tricopy(['check', 'app'], { cwd: ws.dir });
    expect(check.stdout).toMatch(/^STALE job app: newest verified backup \d+s past maxAge 1s$/m);
    expect(check.code).toBe(1);
    const json = await tricopyJson<{ ok: boolean; stale: { job: string; overdueMs: number }[] }>(
      ['check', 'app'],
      { cwd: ws.dir },
    );
    expect(json.json.ok).toBe(false);
    expect(json.json.stale.map((s) => s.job)).toEqual(['app']);
    expect(json.json.stale[0]?.overdueMs).toBeGreaterThan(0);

    const list = await tricopy(['list'], { cwd: ws.dir });
    expect(list.stdout).toMatch(/^STALE app: newest verified backup \d+s past maxAge 1s$/m);
    expect(list.stdout).toMatch(/^STALE never: no backup with a verified copy$/m);
    for (const line of list.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    const metrics = (await tricopy(['metrics'], { cwd: ws.dir })).stdout;
    expect(sample(metrics, 'tricopy_backup_stale{job="app"}')).toBe(1);

    const sent = await notes();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ event: 'stale', job: 'app', maxAge: '1s' });
    expect(String(sent[0]?.text)).toMatch(/tricopy job app: STALE \(newest verified backup/);
  });

  it('notifies again only after the job was fresh in between (a new episode)', async () => {
    expect((await tricopy(['check', 'app'], { cwd: ws.dir })).code).toBe(1);
    expect(await notes()).toHaveLength(1);
    await configWith('26h');
    expect((await tricopy(['check', 'app'], { cwd: ws.dir })).code).toBe(0);
    await configWith('1s');
    expect((await tricopy(['check', 'app'], { cwd: ws.dir })).code).toBe(1);
    expect(await notes()).toHaveLength(2);
  });

  it('a job with no verified backup at all is stale under policy.maxAge', async () => {
    const check = await tricopy(['check', 'never'], { cwd: ws.dir });
    expect(check.stdout).toMatch(/^STALE job never: no backup with a verified copy$/m);
    expect(check.code).toBe(1);
  });
});
