import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's headless Chromium through Playwright, as the browser tests use it. */

export const CHROMIUM = '/usr/bin/chromium';

// Locally a machine without Chromium skips; in CI the test must run, so a missing browser fails it there.
export const chromiumRunnable = existsSync(CHROMIUM) || process.env.CI === 'true';

export interface Chromium {
  readonly browser: BrowserContext;
  close(): Promise<void>;
}

/** Chromium on a fresh, empty profile (Playwright passes it as --user-data-dir itself), removed on close. */
export async function launchChromium(): Promise<Chromium> {
  const profile = await mkdtemp(join(tmpdir(), 'tricopy-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
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
  return {
    browser,
    async close() {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
