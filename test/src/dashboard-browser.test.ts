import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, REPO_ROOT, tricopy, type Workspace } from './cli.js';
import { FLEET_CONFIG, growSqliteDatabase, makeSqliteDatabase } from './fleet-env.js';
import { started, stop } from './serve-env.js';

/** The dashboard as a person sees it: Debian's headless Chromium through Playwright, against real backups. */

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test/artifacts');
// Locally a machine without Chromium skips; in CI the test must run, so a missing browser fails it there.
const runnable = existsSync(CHROMIUM) || process.env.CI === 'true';

describe.runIf(runnable)('dashboard in headless Chromium', () => {
  let ws: Workspace;
  let profile: string;
  let browser: BrowserContext;
  let backupIds: string[];
  let sizes: number[];

  beforeAll(async () => {
    ws = await makeWorkspace('dashboard');
    await mkdir(join(ws.dir, 'dest'));
    await mkdir(ARTIFACTS, { recursive: true });
    makeSqliteDatabase(join(ws.dir, 'app.db'));
    await ws.writeConfig(FLEET_CONFIG);
    // Three backups of a growing database, for the size trend.
    for (const rows of [0, 2_000, 20_000]) {
      growSqliteDatabase(join(ws.dir, 'app.db'), rows);
      expect((await tricopy(['backup', 'app'], { cwd: ws.dir })).code).toBe(0);
    }
    const list = JSON.parse((await tricopy(['list', '--json'], { cwd: ws.dir })).stdout) as {
      backups: { backupId: string; size: number }[];
    };
    backupIds = list.backups.map((b) => b.backupId);
    sizes = list.backups.map((b) => b.size).reverse();
    profile = await mkdtemp(join(tmpdir(), 'tricopy-chromium-'));
    // Playwright passes the fresh, empty profile as --user-data-dir itself.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    if (profile !== undefined) await rm(profile, { recursive: true, force: true });
    await ws?.remove();
  });

  it('shows the real job rows, and a click into a job shows its backups and copies', async () => {
    expect(backupIds).toHaveLength(3);
    expect(sizes[0]).toBeLessThan(sizes[1] as number);
    expect(sizes[1]).toBeLessThan(sizes[2] as number);
    const { child, url } = await started(ws, ['serve', '--listen', '127.0.0.1:0']);
    try {
      const page = await browser.newPage();
      await page.setViewportSize({ width: 1400, height: 420 });
      await page.goto(`${url}/`);
      expect(await page.title()).toBe('tricopy fleet');
      const rows = page.locator('tbody tr');
      expect(await rows.count()).toBe(2);
      const app = await rows.nth(0).locator('td').allInnerTexts();
      expect(app[0]).toBe('app');
      expect(app[2]).toBe('ok');
      expect(app[3]).toBe('2/2 ok');
      expect(app[8]).toBe('fresh');
      // The size trend: an SVG line through the three backups' sizes, rising to the newest.
      const chart = rows.nth(0).locator('td').nth(7).locator('svg.spark');
      expect(await chart.locator('title').textContent()).toMatch(
        /^size of the last 3 backup\(s\), oldest first: /,
      );
      const points = (await chart.locator('polyline').getAttribute('points'))
        ?.split(' ')
        .map((p) => Number(p.split(',')[1]));
      expect(points).toHaveLength(3);
      expect(points?.[0]).toBeGreaterThan(points?.[1] as number);
      expect(points?.[1]).toBeGreaterThan(points?.[2] as number);
      expect((await chart.boundingBox())?.width).toBe(100);
      const never = await rows.nth(1).locator('td').allInnerTexts();
      expect(never[0]).toBe('never');
      expect(never[1]).toBe('never');
      expect(never[7]).toBe('-');
      expect(never[8]).toMatch(/^STALE: no backup with a verified copy/);
      expect(await rows.nth(1).getAttribute('class')).toBe('stale');
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-fleet.png'), fullPage: true });

      await page.getByRole('link', { name: 'app', exact: true }).click();
      await page.waitForURL(`${url}/jobs/app`);
      expect(await page.locator('h1').textContent()).toBe('job app');
      const backups = page.locator('tbody tr');
      expect(await backups.count()).toBe(3);
      for (const id of backupIds) {
        const row = backups.filter({ hasText: id });
        expect(await row.count()).toBe(1);
        const cells = await row.locator('td').allInnerTexts();
        expect(cells[1]).toBe('ok');
        expect(cells[5]?.split('\n')).toEqual([
          'primary: verified, deep verify never',
          'usb: verified, deep verify never',
        ]);
      }
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-job.png'), fullPage: true });

      await page.getByRole('link', { name: '← fleet' }).click();
      await page.waitForURL(`${url}/`);
      expect(await page.locator('tbody tr').count()).toBe(2);
    } finally {
      expect((await stop(child)).code).toBe(0);
    }
  });
});
