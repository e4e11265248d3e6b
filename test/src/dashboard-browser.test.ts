import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { formatBytes } from '@tricopy/core';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Chromium, chromiumRunnable, launchChromium } from './chromium.js';
import { makeWorkspace, REPO_ROOT, tricopy, type Workspace } from './cli.js';
import { growSqliteDatabase, makeSqliteDatabase } from './fleet-env.js';
import { started, stop } from './serve-env.js';
import { BILLING_REASON, makeTroubledJobs, ORDERS_REASON, TROUBLED_CONFIG } from './troubled-fleet.js';

/** The dashboard as a person sees it: Debian's headless Chromium through Playwright, against real backups. */

/** What the page functions use of the browser's globals (this project's TypeScript has no DOM library). */
interface BrowserGlobals {
  document: { scrollingElement: { scrollWidth: number; clientWidth: number } };
  getComputedStyle(element: unknown): { backgroundColor: string };
}
const ARTIFACTS = join(REPO_ROOT, 'test/artifacts');
describe.runIf(chromiumRunnable)('dashboard in headless Chromium', () => {
  let ws: Workspace;
  let chromium: Chromium;
  let browser: BrowserContext;
  let backupIds: string[];
  let sizes: number[];

  beforeAll(async () => {
    ws = await makeWorkspace('dashboard');
    await mkdir(join(ws.dir, 'dest'));
    await mkdir(ARTIFACTS, { recursive: true });
    makeSqliteDatabase(join(ws.dir, 'app.db'));
    await ws.writeConfig(TROUBLED_CONFIG);
    // Three backups of a growing database, for the size trend.
    for (const rows of [0, 2_000, 20_000]) {
      growSqliteDatabase(join(ws.dir, 'app.db'), rows);
      expect((await tricopy(['backup', 'app'], { cwd: ws.dir })).code).toBe(0);
    }
    const list = JSON.parse((await tricopy(['list', '--json', '--job', 'app'], { cwd: ws.dir })).stdout) as {
      backups: { backupId: string; size: number }[];
    };
    await makeTroubledJobs(ws);
    backupIds = list.backups.map((b) => b.backupId);
    sizes = list.backups.map((b) => b.size).reverse();
    chromium = await launchChromium();
    browser = chromium.browser;
  }, 120_000);
  afterAll(async () => {
    await chromium?.close();
    await ws?.remove();
  });

  /** The cells of the fleet row of JOB, as shown. */
  async function fleetCells(page: Page, job: string): Promise<string[]> {
    return page
      .locator('tbody tr')
      .filter({ has: page.getByRole('link', { name: job, exact: true }) })
      .locator('td')
      .allInnerTexts();
  }

  async function scrollsSideways(page: Page): Promise<boolean> {
    return page.evaluate(() => {
      const root = (globalThis as unknown as BrowserGlobals).document.scrollingElement;
      return root.scrollWidth > root.clientWidth;
    });
  }

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
      expect(await rows.count()).toBe(4);
      const app = await fleetCells(page, 'app');
      expect(app[1]).toMatch(/^ok \d+s ago$/);
      expect(app[3]).toBe('ok');
      expect(app[4]).toBe('2/2 ok');
      expect(app[9]).toBe('all good');
      // The size trend: an SVG line through the three backups' sizes, rising to the newest, its range beside it.
      const appRow = rows.filter({ has: page.getByRole('link', { name: 'app', exact: true }) });
      expect(await appRow.getAttribute('class')).toBe('');
      const chart = appRow.locator('td').nth(8).locator('svg.spark');
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
      expect(await appRow.locator('td').nth(8).locator('.range').textContent()).toBe(
        `${formatBytes(sizes[0] as number)}–${formatBytes(sizes[2] as number)}`,
      );
      const never = await fleetCells(page, 'never');
      expect(never[1]).toBe('never');
      expect(never[2]).toBe('never');
      expect(never[8]).toBe('-');
      expect(never[9]).toMatch(/never backed up\nstale: no backup with a verified copy/);
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-fleet.png'), fullPage: true });
      expect(await scrollsSideways(page)).toBe(false);

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
      expect(await scrollsSideways(page)).toBe(false);

      await page.getByRole('link', { name: '← fleet' }).click();
      await page.waitForURL(`${url}/`);
      expect(await page.locator('tbody tr').count()).toBe(4);
    } finally {
      expect((await stop(child)).code).toBe(0);
    }
  });

  it('puts failed and degraded jobs first, with their last run, its reason and the failed check', async () => {
    const { child, url } = await started(ws, ['serve', '--listen', '127.0.0.1:0']);
    try {
      const page = await browser.newPage();
      await page.setViewportSize({ width: 1400, height: 600 });
      await page.goto(`${url}/`);
      expect(await page.locator('p').first().textContent()).toMatch(/^4 job\(s\), 3 need attention, 1 stale/);
      const order = await page.locator('tbody tr td:first-child').allInnerTexts();
      expect(order.at(-1)).toBe('app');
      const billing = await fleetCells(page, 'billing');
      expect(billing[1]).toMatch(/^failed \d+s ago\n/);
      expect(billing[1]).toMatch(BILLING_REASON);
      // Beside the failed run, the newest good backup and its own state.
      expect(billing[2]).toMatch(/^\d+s ago$/);
      expect(billing[3]).toBe('degraded');
      expect(billing[9]).toMatch(
        /^last run failed\n3-2-1 not met: 1 copy of 2; 1 medium of 2\n1 failed check\n/,
      );
      expect(billing[9]).toMatch(
        /deep verify of usb: (size|checksum)-mismatch \(backup \S+, \d+s ago\)\n.*expected/,
      );
      const orders = await fleetCells(page, 'orders');
      expect(orders[1]).toMatch(/^degraded \d+s ago\n/);
      expect(orders[1]).toMatch(ORDERS_REASON);
      expect(orders[9]).toMatch(/^last run degraded\n/);
      for (const job of ['billing', 'orders', 'never']) {
        const row = page
          .locator('tbody tr')
          .filter({ has: page.getByRole('link', { name: job, exact: true }) });
        expect(await row.getAttribute('class')).toMatch(/^attention/);
        expect(
          await row
            .locator('td')
            .first()
            .evaluate((td) => (globalThis as unknown as BrowserGlobals).getComputedStyle(td).backgroundColor),
        ).toBe('rgb(253, 226, 226)');
      }
      expect(await scrollsSideways(page)).toBe(false);
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-troubled.png'), fullPage: true });

      await page.getByRole('link', { name: 'billing', exact: true }).click();
      await page.waitForURL(`${url}/jobs/billing`);
      expect((await page.locator('#last-run').allInnerTexts()).join('')).toMatch(
        /^last run: failed \d+s ago\n/,
      );
      expect((await page.locator('#last-run').allInnerTexts()).join('')).toMatch(BILLING_REASON);
      expect((await page.locator('#attention').allInnerTexts()).join('')).toMatch(
        /deep verify of usb: (size|checksum)-mismatch/,
      );
      const history = await page.locator('tbody tr').nth(1).locator('td').allInnerTexts();
      expect(history[6]).toMatch(/ deep usb (size|checksum)-mismatch\n.*expected/);
      // The sha256 is shortened on the page; all of it is the cell's tooltip.
      const sha = page.locator('tbody tr').nth(1).locator('td').nth(4).locator('code');
      expect(await sha.getAttribute('title')).toMatch(/^[0-9a-f]{64}$/);
      expect(await sha.textContent()).toMatch(/^[0-9a-f]{12}…$/);
      expect(await scrollsSideways(page)).toBe(false);
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-billing.png'), fullPage: true });
    } finally {
      expect((await stop(child)).code).toBe(0);
    }
  });
});
