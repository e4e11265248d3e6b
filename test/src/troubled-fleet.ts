import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { filesUnder, tricopy, type Workspace } from './cli.js';
import { makeSqliteDatabase } from './fleet-env.js';

/**
 * A fleet with trouble, for the dashboard and /api/jobs tests: `app` healthy, `billing` whose newest run failed
 * (its database is gone) after a good backup whose usb copy then failed a deep verify, `orders` degraded (one
 * destination is blocked by a file), `never` never backed up.
 */
export const TROUBLED_CONFIG = `
destinations:
  primary: { type: local, path: ./dest/primary, fsync: false }
  usb: { type: local, path: ./dest/usb, media: removable, fsync: false }
  blocked: { type: local, path: ./blocker/dest, fsync: false }
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary, usb]
    maxAge: 26h
  billing:
    source: { type: sqlite, path: ./billing.db }
    destinations: [primary, usb]
    maxAge: 26h
  orders:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary, blocked]
    maxAge: 26h
  never:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary]
policy: { copies: 2, media: 2, offsite: 0, maxAge: 1h }
`;

/** The reasons the troubled jobs' last runs record (the workspace's folder in front). */
export const BILLING_REASON = /database file .*billing\.db does not exist/;
export const ORDERS_REASON = /blocked: .*a file is in the way where a folder is expected/;

/** Backs up `billing` and `orders` into the workspace (written with TROUBLED_CONFIG) and breaks them. */
export async function makeTroubledJobs(ws: Workspace): Promise<void> {
  makeSqliteDatabase(join(ws.dir, 'billing.db'));
  await writeFile(join(ws.dir, 'blocker'), 'a file where a folder is expected\n');
  expect((await tricopy(['backup', 'billing'], { cwd: ws.dir })).code).toBe(0);
  // A degraded run exits 3.
  expect((await tricopy(['backup', 'orders'], { cwd: ws.dir })).code).toBe(3);
  const artifact = (await filesUnder(join(ws.dir, 'dest/usb/billing'))).find((f) => f.endsWith('.zst'));
  await writeFile(join(ws.dir, 'dest/usb/billing', artifact as string), 'not the backup any more');
  await tricopy(['verify', '--deep', '--job', 'billing', '--latest'], { cwd: ws.dir });
  await rm(join(ws.dir, 'billing.db'));
  expect((await tricopy(['backup', 'billing'], { cwd: ws.dir })).code).not.toBe(0);
}
