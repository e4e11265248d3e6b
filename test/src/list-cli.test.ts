import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, REPO_ROOT, startTricopy, tricopy, tricopyJson, type Workspace } from './cli.js';

const FILE_SOURCE = join(REPO_ROOT, 'packages/core/src/__fixtures__/file-source.mjs');

interface ListJson {
  backups: { backupId: string; job: string; status: string; state: string; prunedAt: string | null }[];
}

/** A fleet-sized catalog: a job with a long name, a failing job, pruned backups, and a run killed mid-backup. */
describe('list at fleet scale', () => {
  let ws: Workspace;
  let killedId: string;
  const longJob = 'customer-billing-archive';

  beforeAll(async () => {
    ws = await makeWorkspace('list');
    await mkdir(join(ws.dir, 'dest'));
    await writeFile(join(ws.dir, 'data.sql'), 'INSERT INTO t VALUES (1);\n'.repeat(100));
    await ws.writeConfig(`
destinations:
  primary: { type: local, path: ./dest/primary, fsync: false }
jobs:
  ${longJob}:
    source: { type: ${FILE_SOURCE}, path: ./data.sql }
    destinations: [primary]
    compression: none
    retention: { keepLast: 2 }
  broken:
    source: { type: ${FILE_SOURCE}, path: ./data.sql, failWith: "dump broke" }
    destinations: [primary]
    compression: none
  hung:
    source: { type: ${FILE_SOURCE}, path: ./data.sql, hang: true }
    destinations: [primary]
    compression: none
policy: { copies: 1, media: 1, offsite: 0 }
`);
    for (let i = 0; i < 4; i++) await tricopy(['backup', longJob, 'broken'], { cwd: ws.dir });
    expect((await tricopy(['prune'], { cwd: ws.dir })).code).toBe(0);
    // A run killed with SIGKILL: its backup stays marked running in the catalog, its lock holder is dead.
    const child = startTricopy(['backup', 'hung'], { cwd: ws.dir });
    for (;;) {
      const list = await tricopyJson<ListJson>(['list', '--job', 'hung'], { cwd: ws.dir });
      const running = list.json.backups.find((b) => b.status === 'running');
      if (running !== undefined) {
        killedId = running.backupId;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill('SIGKILL');
    await child.catch(() => undefined);
  }, 120_000);
  afterAll(() => ws.remove());

  it('by default shows the newest and the newest good backup per job, in 100 columns, no pruned rows', async () => {
    const result = await tricopy(['list'], { cwd: ws.dir });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(100);
    const rows = lines.slice(2, -1);
    expect(rows).toHaveLength(3); // billing: newest (ok); broken: newest (failed, and it has no good one); hung
    expect(rows.filter((r) => r.includes('customer-bil… '))).toHaveLength(1);
    expect(
      rows.filter((r) => /\bbroken\s+failed\b/.test(r)),
      result.stdout,
    ).toHaveLength(1);
    expect(rows.join('\n')).not.toContain('pruned');
    expect(rows.join('\n')).not.toContain('below');
    expect(lines.at(-1)).toMatch(/6 older or pruned backup\(s\) not shown: --all/);
  });

  it("--job NAME shows the whole name; a backup's own cross-check of its copies is an exists verification", async () => {
    const result = await tricopy(['list', '--job', longJob], { cwd: ws.dir });
    expect(result.stdout).toMatch(/^\S+ +customer-billing-archive +ok +\S+ \S+ +1\/1 ok +exists ok \d+m$/m);
    expect(result.stdout).not.toContain('never');
    const json = await tricopyJson<{ backups: { lastVerified: { level: string; status: string } | null }[] }>(
      ['list', '--job', longJob, '--limit', '1'],
      { cwd: ws.dir },
    );
    expect(json.json.backups[0]?.lastVerified).toMatchObject({ level: 'exists', status: 'ok' });
    const verify = await tricopyJson<{ level: string; copies: { level: string }[] }>(
      ['verify', '--latest', '--job', longJob],
      { cwd: ws.dir },
    );
    expect(verify.json.level).toBe('exists');
    expect(verify.json.copies.map((c) => c.level)).toEqual(['exists']);
  });

  it('shows the last verification as level, result and age', async () => {
    expect((await tricopy(['verify', '--latest', '--job', longJob, '--deep'], { cwd: ws.dir })).code).toBe(0);
    const result = await tricopy(['list', '--job', longJob], { cwd: ws.dir });
    expect(result.stdout).toMatch(/customer-billing-archive +ok +\S+ \S+ +1\/1 ok +deep ok \d+m$/m);
    const wide = await tricopy(['list', '--job', longJob, '--wide'], { cwd: ws.dir });
    expect(wide.stdout).toMatch(/\d{4}-\d\d-\d\dT\S+ deep ok$/m);
    // Per copy: how long ago every byte of it was re-hashed; a copy never deep-verified says so.
    expect(wide.stdout).toMatch(/ \w+:verified deep \d+m /);
    const all = await tricopy(['list', '--all', '--wide'], { cwd: ws.dir });
    expect(all.stdout).toMatch(/:verified deep never/);
  });

  it('shows a killed run as interrupted, not running, when its process is gone', async () => {
    const result = await tricopy(['list', '--job', 'hung'], { cwd: ws.dir });
    expect(result.stdout).toMatch(new RegExp(`${killedId}\\s+hung\\s+interrupted`));
    const json = await tricopyJson<ListJson>(['list', '--job', 'hung'], { cwd: ws.dir });
    expect(json.json.backups.find((b) => b.backupId === killedId)).toMatchObject({
      status: 'running',
      state: 'interrupted',
    });
  });

  it('--all, --limit, --status and --wide show the rest; pruned rows have no policy shortfall', async () => {
    const all = await tricopy(['list', '--all', '--wide'], { cwd: ws.dir });
    expect(all.stdout.match(/ pruned /g)).toHaveLength(2);
    expect(all.stdout).not.toMatch(/below \(0 cop/);
    expect(all.stdout).toMatch(/primary:verified/);

    const limited = await tricopyJson<ListJson>(['list', '--limit', '1'], { cwd: ws.dir });
    expect(limited.json.backups.map((b) => b.job).sort()).toEqual(['broken', longJob, 'hung'].sort());

    const failed = await tricopyJson<ListJson>(['list', '--status', 'failed'], { cwd: ws.dir });
    expect(failed.json.backups).toHaveLength(4);
    expect(failed.json.backups.every((b) => b.job === 'broken')).toBe(true);

    const pruned = await tricopyJson<ListJson>(['list', '--status', 'pruned,interrupted'], { cwd: ws.dir });
    expect(pruned.json.backups.map((b) => b.state).sort()).toEqual(['interrupted', 'pruned', 'pruned']);

    const bad = await tricopy(['list', '--status', 'nope'], { cwd: ws.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('one of ok, degraded, failed');
  });

  it('--json lists every backup with every field unless narrowed', async () => {
    const json = await tricopyJson<ListJson>(['list'], { cwd: ws.dir });
    expect(json.json.backups).toHaveLength(9);
  });

  it('the backup summary names the configured policy, not 3-2-1', async () => {
    const result = await tricopy(['backup', longJob], { cwd: ws.dir });
    expect(result.stdout).toMatch(/1-1-0 ok/);
    expect(result.stdout).not.toContain('3-2-1');
  });
});
