import { lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openSqliteCatalog, type Report } from '@tricopy/core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { chromiumRunnable, launchChromium } from './chromium.js';
import { makeWorkspace, REPO_ROOT, tricopy, tricopyJson, type Workspace } from './cli.js';
import { FLEET_CONFIG, makeSqliteDatabase } from './fleet-env.js';

/** `tricopy report` after a real backup, deep verify and restore test: its JSON against the catalog, its HTML in Chromium. */

const ARTIFACTS = join(REPO_ROOT, 'test/artifacts');

// What a drill records (see docs/report.md); its texts came from a staging server: untrusted, shown escaped.
const DRILL_DETAIL = JSON.stringify({
  target: 'staging_app',
  durationMs: 1234,
  assertions: [
    { name: 'items exist', sql: 'SELECT count(*) FROM items', value: 1, ok: true },
    { name: '<script>alert(1)</script>', sql: "SELECT '\u202egnp.exe'", value: 'x', ok: false },
  ],
  error: 'assertion <script>alert(1)</script> failed',
});

interface ListJson {
  backups: {
    backupId: string;
    status: string;
    size: number;
    sha256: string;
    startedAt: string;
    copies: { destination: string; status: string; sha256: string }[];
  }[];
}

// FLEET_CONFIG's catalog is in its default place.
const catalogPath = () => join(ws.dir, '.tricopy', 'catalog.db');
let ws: Workspace;

describe('tricopy report', () => {
  let backupId: string;

  beforeAll(async () => {
    ws = await makeWorkspace('report');
    await mkdir(join(ws.dir, 'dest'));
    makeSqliteDatabase(join(ws.dir, 'app.db'));
    await ws.writeConfig(FLEET_CONFIG);
    const backup = await tricopyJson<{ runs: { backupId: string }[] }>(['backup', 'app'], { cwd: ws.dir });
    expect(backup.code).toBe(0);
    backupId = backup.json.runs[0]?.backupId as string;
    expect((await tricopy(['verify', '--latest', '--deep'], { cwd: ws.dir })).code).toBe(0);
    expect((await tricopy(['verify', '--latest', '--restore-test'], { cwd: ws.dir })).code).toBe(0);
    const catalog = openSqliteCatalog(catalogPath());
    try {
      await catalog.recordVerification({
        backupId,
        destination: 'usb',
        level: 'drill',
        status: 'failed',
        expectedSize: null,
        expectedSha256: null,
        actualSize: null,
        actualSha256: null,
        detail: DRILL_DETAIL,
      });
    } finally {
      await catalog.close();
    }
  }, 120_000);
  afterAll(() => ws?.remove());

  it('JSON: the backup as `list --json` shows it, and every verification and drill as the catalog holds it', async () => {
    const result = await tricopy(['report', '--since', '90d', '--format', 'json'], { cwd: ws.dir });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    const list = (await tricopyJson<ListJson>(['list', '--json', '--job', 'app'], { cwd: ws.dir })).json;
    expect(report.version).toBe(1);
    expect(report.jobs.map((j) => j.job)).toEqual(['app', 'never']);
    expect(report.jobs[1]).toMatchObject({ backups: [], verifications: [], drills: [] });
    const app = report.jobs[0];
    const listed = list.backups[0];
    expect(app?.backups.map((b) => [b.backupId, b.status, b.size, b.sha256, b.startedAt])).toEqual([
      [listed?.backupId, listed?.status, listed?.size, listed?.sha256, listed?.startedAt],
    ]);
    expect(app?.backups[0]?.copies.map((c) => [c.destination, c.status, c.sha256])).toEqual(
      listed?.copies.map((c) => [c.destination, c.status, c.sha256]),
    );
    expect(app?.backups[0]?.policy.met).toBe(true);
    expect(app?.policy).toMatchObject({ goodBackups: 1, kept: 1, keptMet: 1, met: true });

    const catalog = openSqliteCatalog(catalogPath(), undefined, { readOnly: true });
    const rows = await catalog.listVerifications(backupId).finally(() => catalog.close());
    const of = (levels: readonly string[]) =>
      rows
        .filter((r) => levels.includes(r.level))
        .map((r) => [r.level, r.destination, r.status, r.checkedAt]);
    expect(app?.backups[0]?.checks.map((c) => [c.storedLevel, c.copy, c.status, c.checkedAt])).toEqual(
      of(['backup']),
    );
    expect(app?.verifications.map((c) => [c.storedLevel, c.copy, c.status, c.checkedAt])).toEqual(
      of(['stat', 'deep', 'restore-test']),
    );
    // A restore test reads (and re-hashes) a copy, then records which copy it restored from.
    expect(new Set(app?.verifications.map((c) => c.level))).toEqual(new Set(['deep', 'restore-test']));
    expect(app?.verifications.at(-1)).toMatchObject({ level: 'restore-test', copy: 'primary', passed: true });
    expect(app?.drills.map((d) => ['drill', d.copy, d.status, d.checkedAt])).toEqual(of(['drill']));
    expect(app?.drills[0]).toMatchObject({
      target: 'staging_app',
      durationMs: 1234,
      passed: false,
      detail: DRILL_DETAIL,
    });
    expect(app?.drills[0]?.assertions.map((a) => a.ok)).toEqual([true, false]);
  });

  it('a bad --since or --format is a usage error naming the option', async () => {
    for (const args of [
      ['--since', '90 days'],
      ['--since', '2026-02-30'],
      ['--since', '90d', '--format', 'pdf'],
    ]) {
      const result = await tricopy(['report', ...args], { cwd: ws.dir });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.split('\n')[0]).toMatch(
        /^error: option '--(since|format) <\w+>' argument '.+' is invalid\./,
      );
      expect(result.stdout).toBe('');
    }
  });

  it('--output replaces a symlink there instead of writing through it; a missing folder is one line', async () => {
    const victim = join(ws.dir, 'victim.txt');
    await writeFile(victim, 'keep me');
    const link = join(ws.dir, 'linked.json');
    await symlink(victim, link);
    const result = await tricopy(['report', '--since', '90d', '--output', link], { cwd: ws.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(victim, 'utf8')).toBe('keep me');
    expect((await lstat(link)).isSymbolicLink()).toBe(false);
    expect(JSON.parse(await readFile(link, 'utf8'))).toMatchObject({ version: 1 });

    const missing = await tricopy(['report', '--since', '90d', '--output', join(ws.dir, 'no/such/r.json')], {
      cwd: ws.dir,
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /cannot write --output .*no\/such\/r\.json \(in folder .*no\/such\): ENOENT/,
    );
    expect(missing.stderr).not.toContain('\n    at ');
  });

  it.runIf(chromiumRunnable)(
    'HTML in headless Chromium: the backup, its verifications and the drill, escaped, from one file that loads nothing',
    async () => {
      const file = join(ws.dir, 'report.html');
      const result = await tricopy(['report', '--since', '90d', '--format', 'html', '--output', file], {
        cwd: ws.dir,
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('');
      const html = await readFile(file, 'utf8');
      expect(html).not.toMatch(/<script|<link|<img|src=|href=/i);

      const chromium = await launchChromium();
      onTestFinished(() => chromium.close());
      const page = await chromium.browser.newPage();
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(file).href);
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(await page.locator('h1').textContent()).toMatch(
        /^tricopy evidence report since \d{4}-\d{2}-\d{2}$/,
      );
      expect(await page.locator('h2').allTextContents()).toEqual(['job app', 'job never']);
      expect(await page.locator('script').count()).toBe(0);

      const backups = page.locator('#backups-0 tbody tr');
      expect(await backups.count()).toBe(1);
      const backupCells = await backups.first().locator('td').allInnerTexts();
      expect(backupCells[0]).toBe(backupId);
      expect(backupCells[5]).toBe('ok');
      expect(backupCells[6]?.split('\n')).toEqual(['primary: verified', 'usb: verified']);
      expect(backupCells[8]).toBe('met');

      const verificationRows = await page.locator('#verifications-0 tbody tr').all();
      const verifications = await Promise.all(
        verificationRows.map((row) => row.locator('td').allInnerTexts()),
      );
      const json = JSON.parse(
        (await tricopy(['report', '--since', '90d'], { cwd: ws.dir })).stdout,
      ) as Report;
      const checks = json.jobs[0]?.verifications ?? [];
      expect(checks.map((c) => c.level)).toContain('restore-test');
      expect(verifications).toEqual(
        checks.map((c) => [c.checkedAt, c.level, c.backupId, c.copy ?? '-', c.status, c.detail ?? '-']),
      );
      const drill = await page.locator('#drills-0 tbody tr').locator('td').allInnerTexts();
      expect(drill.slice(1, 5)).toEqual([backupId, 'usb', 'staging_app', '1.2s']);
      expect(drill[5]?.split('\n')).toEqual([
        'passed items exist: SELECT count(*) FROM items = 1',
        "failed <script>alert(1)</script>: SELECT '\\u202egnp.exe' = x",
      ]);
      expect(drill[6]).toBe('failed\nassertion <script>alert(1)</script> failed');
      await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('#drills-0 tbody tr').count()).toBe(1);
    },
    60_000,
  );
});
