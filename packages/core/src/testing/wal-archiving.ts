import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CaughtUp } from '../wal/wal-catch-up.js';
import { catalogFolderName } from '../wal/wal-context.js';
import { keepArchivingWal } from '../wal/wal-keep.js';
import type { WalStoreResult } from '../wal/wal-store.js';
import { FakeWal } from './fake-wal.js';
import { type Harness, type HarnessOptions, harness } from './harness.js';

/** A harness whose job `pg` archives WAL from a FakeWal, with the archiver running. */
export interface Archiving {
  readonly wal: FakeWal;
  readonly h: Harness;
  readonly stored: WalStoreResult[];
  readonly caughtUp: CaughtUp[];
  /** The archiver's spool folder. */
  readonly spool: string;
  /** Stops the archiver and waits for it to return. */
  stop(): Promise<void>;
  /** Stops the archiver (if running) and removes the harness. */
  close(): Promise<void>;
}

export async function startArchiving(
  options: Omit<HarnessOptions, 'wal' | 'jobs'>,
  settings: { catchUpIntervalMs?: number; wal?: FakeWal } = {},
): Promise<Archiving> {
  const wal = settings.wal ?? new FakeWal();
  const h = await harness({ ...options, jobs: ['pg'], wal });
  const controller = new AbortController();
  const stored: WalStoreResult[] = [];
  const caughtUp: CaughtUp[] = [];
  const running = keepArchivingWal(h.session, 'pg', {
    signal: controller.signal,
    scanIntervalMs: 20,
    catchUpIntervalMs: settings.catchUpIntervalMs ?? 60_000,
    onStored: (result) => stored.push(result),
    onCaughtUp: (result) => caughtUp.push(result),
  });
  running.catch(() => undefined);
  await Promise.race([wal.running(), running]);
  const stop = async () => {
    controller.abort();
    await running;
  };
  return {
    wal,
    h,
    stored,
    caughtUp,
    spool: join(h.session.config.workDir, 'wal', catalogFolderName(h.session.config), 'pg', 'spool'),
    stop,
    close: async () => {
      await stop().catch(() => undefined);
      await h.close();
    },
  };
}

/** Polls until `ready` holds; the test's own timeout ends a wait that never does. */
export async function until(ready: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await ready())) await sleep(10);
}
