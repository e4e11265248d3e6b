import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, tricopy, type Workspace } from './cli.js';
import { FLEET_CONFIG, makeSqliteDatabase, promtoolAvailable, sample } from './fleet-env.js';
import { started, stop } from './serve-env.js';
import { BILLING_REASON, makeTroubledJobs, ORDERS_REASON, TROUBLED_CONFIG } from './troubled-fleet.js';

describe('serve: read-only HTTP over the catalog of real backups', () => {
  let ws: Workspace;
  let backupId: string;

  beforeAll(async () => {
    ws = await makeWorkspace('serve');
    await mkdir(join(ws.dir, 'dest'));
    makeSqliteDatabase(join(ws.dir, 'app.db'));
    await ws.writeConfig(FLEET_CONFIG);
    expect((await tricopy(['backup', 'app'], { cwd: ws.dir })).code).toBe(0);
    const list = JSON.parse((await tricopy(['list', '--json'], { cwd: ws.dir })).stdout) as {
      backups: { backupId: string }[];
    };
    backupId = list.backups[0]?.backupId as string;
  }, 60_000);
  afterAll(() => ws.remove());

  it('serves /metrics, /api/jobs and /api/jobs/NAME on loopback, GET only, and stops cleanly on SIGTERM', async () => {
    const { child, url } = await started(ws, ['serve', '--listen', '127.0.0.1:0']);
    try {
      const metrics = await fetch(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await metrics.text();
      expect(sample(text, 'tricopy_copies_verified{job="app"}')).toBe(2);
      expect(sample(text, 'tricopy_backup_stale{job="never"}')).toBe(1);
      if (await promtoolAvailable()) {
        const checked = await execa('promtool', ['check', 'metrics'], { input: text, reject: false });
        expect(checked.exitCode).toBe(0);
      }
      const jobs = (await (await fetch(`${url}/api/jobs`)).json()) as {
        jobs: { job: string; lastBackup: { backupId: string } | null; staleness: { stale: boolean } }[];
      };
      expect(jobs.jobs.map((j) => j.job)).toEqual(['app', 'never']);
      expect(jobs.jobs[0]?.lastBackup?.backupId).toBe(backupId);
      expect(jobs.jobs[1]?.staleness.stale).toBe(true);
      const job = (await (await fetch(`${url}/api/jobs/app`)).json()) as {
        backups: { backupId: string; copies: { destination: string; status: string }[] }[];
      };
      expect(job.backups[0]?.backupId).toBe(backupId);
      expect(job.backups[0]?.copies.map((c) => `${c.destination}:${c.status}`)).toEqual([
        'primary:verified',
        'usb:verified',
      ]);
      const fleet = await fetch(`${url}/`);
      expect(fleet.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await fleet.text();
      expect(html).toMatch(
        /<tr class=""><td><a href="\/jobs\/app">app<\/a><\/td><td class="wrap"><span class="ok">ok<\/span> \d+s ago<\/td><td>\d+s ago<\/td><td>ok<\/td>/,
      );
      expect(html).toMatch(/<span class="ok">2\/2 ok<\/span>/);
      expect(html).toMatch(
        /<tr class="attention stale"><td><a href="\/jobs\/never">never<\/a>.*stale: no backup with a verified copy/,
      );
      const jobHtml = await (await fetch(`${url}/jobs/app`)).text();
      expect(jobHtml).toContain(`<code>${backupId}</code>`);
      expect(jobHtml).toMatch(
        /<div>primary: <span class="ok">verified<\/span>, deep verify never<\/div><div>usb: <span class="ok">verified<\/span>, deep verify never<\/div>/,
      );
      expect((await fetch(`${url}/jobs/nope`)).status).toBe(404);
      expect((await fetch(`${url}/api/jobs/nope`)).status).toBe(404);
      expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
      expect((await fetch(`${url}/api/jobs`, { method: 'POST' })).status).toBe(405);
    } finally {
      const result = await stop(child);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/received SIGTERM: stopping/);
      expect(result.stderr).toMatch(
        /serving the dashboard at \/, \/metrics and \/api\/jobs on http:\/\/127\.0\.0\.1:\d+/,
      );
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('refuses to start off loopback without a token (exit 2)', async () => {
    const result = await tricopy(['serve', '--listen', '0.0.0.0:0'], { cwd: ws.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /not a loopback address: set a bearer token with TRICOPY_SERVE_TOKEN or --token-file/,
    );
  });

  it('with TRICOPY_SERVE_TOKEN every request without the right bearer token gets 401', async () => {
    const { child, url } = await started(ws, ['serve', '--listen', '0.0.0.0:0'], {
      TRICOPY_SERVE_TOKEN: 's3cret-token',
    });
    try {
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const wrong = await fetch(`${url}/api/jobs`, { headers: { authorization: 'Bearer s3cret-tokeN' } });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const right = await fetch(`${url}/api/jobs`, { headers: { authorization: 'Bearer s3cret-token' } });
      expect(right.status).toBe(200);
    } finally {
      expect((await stop(child)).code).toBe(0);
    }
  });

  it('--token-file gives the token; a missing one is a usage error', async () => {
    await writeFile(join(ws.dir, 'token'), 'from-a-file\n', { mode: 0o600 });
    const { child, url } = await started(ws, ['serve', '--listen', '0.0.0.0:0', '--token-file', 'token']);
    try {
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const right = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer from-a-file' } });
      expect(right.status).toBe(200);
    } finally {
      expect((await stop(child)).code).toBe(0);
    }
    const missing = await tricopy(['serve', '--token-file', 'nope'], { cwd: ws.dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--token-file nope: no such file/);
  });

  it('a port in use is a clear error, not a stack trace', async () => {
    const { child, url } = await started(ws, ['serve', '--listen', '127.0.0.1:0']);
    try {
      const port = new URL(url).port;
      const second = await tricopy(['serve', '--listen', `127.0.0.1:${port}`], { cwd: ws.dir });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`),
      );
      expect(second.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await stop(child);
    }
    const bad = await tricopy(['serve', '--listen', 'nonsense'], { cwd: ws.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--listen nonsense: expected HOST:PORT/);
  });

  it('daemon --listen serves the same while it schedules, and stops on SIGTERM', async () => {
    await ws.writeConfig(FLEET_CONFIG.replace('maxAge: 26h', 'maxAge: 26h\n    schedule: "0 3 * * *"'));
    const { child, url } = await started(ws, ['daemon', '--listen', '127.0.0.1:0']);
    try {
      const jobs = (await (await fetch(`${url}/api/jobs`)).json()) as { jobs: { job: string }[] };
      expect(jobs.jobs.map((j) => j.job)).toEqual(['app', 'never']);
      expect(
        sample(await (await fetch(`${url}/metrics`)).text(), 'tricopy_runs_total{job="app",status="ok"}'),
      ).toBe(1);
    } finally {
      const result = await stop(child);
      expect(result.code).toBe(0);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('--help names the dashboard at /', async () => {
    const help = await tricopy(['serve', '--help'], { cwd: ws.dir });
    expect(help.stdout).toMatch(/the dashboard at \//);
    expect(help.stdout).toMatch(/serve the dashboard \(\/\), \/metrics and \/api\/jobs/);
  });
});

describe("serve: /api/jobs tells each job's last run, its failed checks and what needs attention", () => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = await makeWorkspace('serve-troubled');
    await mkdir(join(ws.dir, 'dest'));
    makeSqliteDatabase(join(ws.dir, 'app.db'));
    await ws.writeConfig(TROUBLED_CONFIG);
    expect((await tricopy(['backup', 'app'], { cwd: ws.dir })).code).toBe(0);
    await makeTroubledJobs(ws);
  }, 120_000);
  afterAll(() => ws.remove());

  it('keeps the old fields and adds lastRun, failedChecks and attention', async () => {
    const { child, url } = await started(ws, ['serve', '--listen', '127.0.0.1:0']);
    try {
      const { jobs } = (await (await fetch(`${url}/api/jobs`)).json()) as { jobs: Record<string, unknown>[] };
      const byName = new Map(jobs.map((j) => [j.job, j as Record<string, never>]));
      const app = byName.get('app') as Record<string, never>;
      for (const field of ['lastSuccessAt', 'lastBackup', 'lastVerified', 'runs', 'staleness'])
        expect(app).toHaveProperty(field);
      expect(app.lastRun).toMatchObject({ status: 'ok', reason: null });
      expect(app.failedChecks).toEqual([]);
      expect(app.attention).toEqual([]);

      const billing = byName.get('billing') as Record<string, never>;
      expect(billing.lastRun).toMatchObject({
        status: 'failed',
        reason: expect.stringMatching(BILLING_REASON),
      });
      // The newest good backup is still there, beside the failed run.
      expect(billing.lastBackup).toMatchObject({ status: 'degraded', copiesVerified: 1 });
      expect(billing.failedChecks).toEqual([
        {
          backupId: (billing.lastBackup as unknown as { backupId: string }).backupId,
          destination: 'usb',
          level: 'deep',
          status: 'size-mismatch',
          checkedAt: expect.any(String),
          reason: '23 bytes, expected 172',
        },
      ]);
      expect(billing.attention).toEqual([
        'last run failed',
        '3-2-1 not met: 1 copy of 2; 1 medium of 2',
        '1 failed check',
      ]);

      const orders = byName.get('orders') as Record<string, never>;
      expect(orders.lastRun).toMatchObject({
        status: 'degraded',
        reason: expect.stringMatching(ORDERS_REASON),
      });
      expect(orders.attention).toContain('last run degraded');
      const never = byName.get('never') as Record<string, never>;
      expect(never.lastRun).toBeNull();
      expect(never.attention).toEqual(['never backed up', 'stale: no backup with a verified copy']);

      const one = (await (await fetch(`${url}/api/jobs/billing`)).json()) as {
        lastRun: { status: string };
        backups: {
          verifications: { destination: string; status: string; reason: string | null }[];
          copies: { destination: string; error: string | null }[];
        }[];
      };
      expect(one.lastRun.status).toBe('failed');
      const good = one.backups[1];
      expect(good?.verifications.filter((v) => v.status !== 'ok')).toEqual([
        expect.objectContaining({
          destination: 'usb',
          status: 'size-mismatch',
          reason: '23 bytes, expected 172',
        }),
      ]);
      expect(good?.copies.find((c) => c.destination === 'usb')?.error).toBe('deep verify: size-mismatch');
    } finally {
      expect((await stop(child)).code).toBe(0);
    }
  });
});
