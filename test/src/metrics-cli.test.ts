import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, tricopy, type Workspace } from './cli.js';
import { FLEET_CONFIG, makeSqliteDatabase, promtoolAvailable, sample } from './fleet-env.js';

const inCi = process.env.CI === 'true';
const hasPromtool = await promtoolAvailable();
if (!hasPromtool && !inCi) console.warn('metrics-cli: promtool is absent, skipping `promtool check metrics`');

describe('metrics from the catalog of real backups', () => {
  let ws: Workspace;
  let metrics: string;

  beforeAll(async () => {
    ws = await makeWorkspace('metrics');
    await mkdir(join(ws.dir, 'dest'));
    makeSqliteDatabase(join(ws.dir, 'app.db'));
    await ws.writeConfig(FLEET_CONFIG);
    expect((await tricopy(['backup', 'app'], { cwd: ws.dir })).code).toBe(0);
    expect((await tricopy(['verify', '--latest', '--job', 'app'], { cwd: ws.dir })).code).toBe(0);
    expect((await tricopy(['verify', '--latest', '--job', 'app', '--deep'], { cwd: ws.dir })).code).toBe(0);
    const result = await tricopy(['metrics'], { cwd: ws.dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    metrics = result.stdout;
  }, 60_000);
  afterAll(() => ws.remove());

  it('reports each job: last success, verification per level, size, copies, policy, staleness, runs', async () => {
    const backups = JSON.parse((await tricopy(['list', '--json'], { cwd: ws.dir })).stdout) as {
      backups: { finishedAt: string; size: number }[];
    };
    const backup = backups.backups[0] as { finishedAt: string; size: number };
    expect(sample(metrics, 'tricopy_backup_last_success_timestamp_seconds{job="app"}')).toBe(
      Date.parse(backup.finishedAt) / 1000,
    );
    expect(sample(metrics, 'tricopy_backup_size_bytes{job="app"}')).toBe(backup.size);
    expect(sample(metrics, 'tricopy_backup_duration_seconds{job="app"}')).toBeGreaterThanOrEqual(0);
    expect(sample(metrics, 'tricopy_copies_verified{job="app"}')).toBe(2);
    expect(sample(metrics, 'tricopy_policy_met{job="app"}')).toBe(1);
    expect(sample(metrics, 'tricopy_backup_stale{job="app"}')).toBe(0);
    expect(sample(metrics, 'tricopy_runs_total{job="app",status="ok"}')).toBe(1);
    expect(sample(metrics, 'tricopy_runs_total{job="app",status="failed"}')).toBe(0);
    for (const level of ['exists', 'deep']) {
      const at = sample(
        metrics,
        `tricopy_backup_last_verified_timestamp_seconds{job="app",level="${level}"}`,
      );
      expect(at).toBeGreaterThanOrEqual(Date.parse(backup.finishedAt) / 1000);
    }
    // Never restore-tested: the series is absent, not a misleading 0 (1970).
    expect(
      sample(metrics, 'tricopy_backup_last_verified_timestamp_seconds{job="app",level="restore-test"}'),
    ).toBeUndefined();
    // A job that never ran: no last success, policy not met, stale (policy.maxAge applies, no verified backup).
    expect(sample(metrics, 'tricopy_backup_last_success_timestamp_seconds{job="never"}')).toBeUndefined();
    expect(sample(metrics, 'tricopy_policy_met{job="never"}')).toBe(0);
    expect(sample(metrics, 'tricopy_backup_stale{job="never"}')).toBe(1);
    for (const name of ['tricopy_backup_stale', 'tricopy_runs_total', 'tricopy_backup_size_bytes']) {
      expect(metrics).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
      expect(metrics).toMatch(new RegExp(`^# TYPE ${name} (gauge|counter)$`, 'm'));
    }
  });

  it.skipIf(!hasPromtool && !inCi)(
    'passes promtool check metrics (the bytes written, as a file)',
    async () => {
      const path = join(ws.dir, 'checked.prom');
      expect((await tricopy(['metrics', '--textfile', path], { cwd: ws.dir })).code).toBe(0);
      const checked = await execa('promtool', ['check', 'metrics'], { inputFile: path, reject: false });
      expect(`${checked.stdout}${checked.stderr}`).toBe('');
      expect(checked.exitCode).toBe(0);
    },
  );

  it('--textfile writes the same exposition atomically, leaving no temporary file', async () => {
    await mkdir(join(ws.dir, 'textfile'));
    const path = join(ws.dir, 'textfile', 'tricopy.prom');
    const result = await tricopy(['metrics', '--textfile', path], { cwd: ws.dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect((await readFile(path, 'utf8')).trimEnd()).toBe(metrics);
    expect(await readdir(join(ws.dir, 'textfile'))).toEqual(['tricopy.prom']);
  });

  it('--textfile into a missing folder, or not named .prom, is a clear error', async () => {
    const missing = await tricopy(['metrics', '--textfile', join(ws.dir, 'nope', 'x.prom')], { cwd: ws.dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(
      `tricopy: cannot write --textfile ${join(ws.dir, 'nope', 'x.prom')}: folder ${join(ws.dir, 'nope')} does not exist (create it, or give node_exporter's --collector.textfile.directory)`,
    );
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const named = await tricopy(['metrics', '--textfile', join(ws.dir, 'x.txt')], { cwd: ws.dir });
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/only files ending in \.prom/);
  });

  it('a malformed maxAge is a config error naming its path', async () => {
    const bad = await makeWorkspace('metrics-bad');
    try {
      await bad.writeConfig(
        FLEET_CONFIG.replace('maxAge: 26h', 'maxAge: 26x').replace('maxAge: 1h', 'maxAge: -1'),
      );
      const result = await tricopy(['metrics'], { cwd: bad.dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/jobs\.app\.maxAge: expected a duration/);
      expect(result.stderr).toMatch(/policy\.maxAge: /);
    } finally {
      await bad.remove();
    }
  });
});
