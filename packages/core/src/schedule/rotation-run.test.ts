import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@tricopy/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { type LoadedConfig, parseConfig } from '../config/load.js';
import { takeJobLock } from '../locks/job-lock.js';
import { removeCopy } from '../prune/prune.js';
import { Session } from '../session/session.js';
import { verifyBackups } from '../verify/verify.js';
import { RotationJobs, runRotationTick } from './rotation-run.js';
import { runBackups } from './run-backups.js';

/** Rotating verification against real local destinations: the job lock, and copies pruned while checked. */

const FILE_SOURCE = fileURLToPath(new URL('../__fixtures__/file-source.mjs', import.meta.url));
const DAY = 86_400_000;

function capturingLogger() {
  const lines: { level: string; message: string }[] = [];
  const at =
    (level: string) =>
    (message: string): void => {
      lines.push({ level, message });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

describe('rotating verification (real local destinations)', () => {
  let dir: string;
  let config: LoadedConfig;
  let now: Date;
  const clock = () => now;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-rotation-'));
    await mkdir(join(dir, 'd'));
    await writeFile(join(dir, 'data.sql'), 'INSERT INTO t VALUES (1);\n'.repeat(50));
    config = await parseConfig(
      `
destinations:
  primary: { type: local, path: ./d/primary, fsync: false }
  usb: { type: local, path: ./d/usb, media: removable, fsync: false }
jobs:
  app:
    source: { type: ${FILE_SOURCE}, path: ./data.sql }
    destinations: [primary, usb]
    verify: { deep: 7d }
catalog: ./catalog.db
workDir: ./work
`,
      join(dir, 'tricopy.yaml'),
      {},
      TEST_PLUGINS,
    );
    now = new Date('2025-03-01T02:00:00Z');
    const session = new Session({ config, logger: capturingLogger().logger, now: clock });
    try {
      expect((await runBackups(session, ['app'])).runs[0]?.status).toBe('ok');
    } finally {
      await session.close();
      await session.closeCatalog();
    }
    // Eight days on, both copies are past the 7d window.
    now = new Date(now.getTime() + 8 * DAY);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const deepChecks = async () => {
    const session = new Session({ config, logger: capturingLogger().logger, now: clock });
    try {
      const [backup] = await session.catalog.listBackups({ job: 'app' });
      const checks = await session.catalog.listVerifications(backup?.id as string);
      const copies = await session.catalog.listCopies(backup?.id as string);
      return {
        backup,
        deep: checks.filter((v) => v.level === 'deep').map((v) => `${v.destination}:${v.status}`),
        copies,
      };
    } finally {
      await session.closeCatalog();
    }
  };

  it('re-hashes the overdue copies when the job is free', async () => {
    const { logger } = capturingLogger();
    await runRotationTick(config, {
      logger,
      signal: new AbortController().signal,
      tickMs: 3_600_000,
      now: clock,
    });
    expect((await deepChecks()).deep.sort()).toEqual(['primary:ok', 'usb:ok']);
  });

  it('skips (and logs, not fails) a job whose lock another run holds, and checks nothing of it', async () => {
    const holder = new Session({ config, logger: capturingLogger().logger, now: clock });
    const attempt = await takeJobLock(holder, 'app', 'backup');
    expect(attempt.acquired).toBe(true);
    const { logger, lines } = capturingLogger();
    try {
      await runRotationTick(config, {
        logger,
        signal: new AbortController().signal,
        tickMs: 3_600_000,
        now: clock,
      });
    } finally {
      if (attempt.acquired) await attempt.lock.release();
      await holder.closeCatalog();
    }
    expect((await deepChecks()).deep).toEqual([]);
    expect(lines.filter((l) => l.level === 'error' || l.level === 'warn')).toEqual([]);
    expect(lines.map((l) => l.message)).toContainEqual(
      expect.stringMatching(
        /^job app: rotating verification skipped this time: job "app" is being backed up by pid \d+ since .*; try again when it ends/,
      ),
    );
  });

  it('a copy pruned while it is being checked is not recorded missing, and the backup is not marked failed', async () => {
    const session = new Session({ config, logger: capturingLogger().logger, now: clock });
    try {
      const [backup] = await session.catalog.listBackups({ job: 'app' });
      if (backup === undefined) throw new Error('no backup');
      const real = session.destination.bind(session);
      // Another process prunes the primary copy just as the check reaches it.
      session.destination = async (name: string) => {
        const destination = await real(name);
        if (name !== 'primary') return destination;
        return new Proxy(destination, {
          get(target, property, receiver) {
            if (property !== 'stat') return Reflect.get(target, property, receiver);
            return async (key: string) => {
              const copy = (await session.catalog.listCopies(backup.id)).find((c) => c.destination === name);
              if (copy?.status === 'verified') await removeCopy(session, target, name, backup, copy, false);
              return target.stat(key);
            };
          },
        });
      };
      const report = await verifyBackups(session, [backup], 'deep');
      expect(report.copies.map((c) => `${c.destination}:${c.status}`)).toEqual(['usb:ok']);
      expect(report.ok).toBe(true);
    } finally {
      await session.close();
      await session.closeCatalog();
    }
    const after = await deepChecks();
    expect(after.deep).toEqual(['usb:ok']);
    expect(after.copies.map((c) => `${c.destination}:${c.status}`).sort()).toEqual([
      'primary:deleted',
      'usb:verified',
    ]);
    expect(after.backup?.status).not.toBe('failed');
  });

  it('a deep check stopped mid-read (a backup goes first) records nothing and leaves the copies as they were', async () => {
    const session = new Session({ config, logger: capturingLogger().logger, now: clock });
    const abort = new AbortController();
    let reading: PassThrough | undefined;
    try {
      const [backup] = await session.catalog.listBackups({ job: 'app' });
      if (backup === undefined) throw new Error('no backup');
      const real = session.destination.bind(session);
      // The read of each copy sends a little and then stalls, like a big copy being hashed.
      session.destination = async (name: string) =>
        new Proxy(await real(name), {
          get(target, property, receiver) {
            if (property !== 'get') return Reflect.get(target, property, receiver);
            return async () => {
              reading = new PassThrough();
              reading.write(Buffer.alloc(1));
              return reading;
            };
          },
        });
      const checking = verifyBackups(session, [backup], 'deep', { signal: abort.signal });
      while (reading === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
      abort.abort(new Error('its scheduled backup is starting'));
      await expect(checking).rejects.toThrow('its scheduled backup is starting');
      expect(reading.destroyed).toBe(true);
    } finally {
      await session.close();
      await session.closeCatalog();
    }
    const after = await deepChecks();
    expect(after.deep).toEqual([]);
    expect(after.copies.map((c) => c.status)).toEqual(['verified', 'verified']);
  });

  it('yieldTo stops the verification of that job and resolves once it is over', async () => {
    const active = new RotationJobs();
    let seen: unknown;
    const running = active.run('app', new AbortController().signal, async (signal) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      seen = signal.reason;
    });
    await active.yieldTo('other', 'not this one');
    expect(seen).toBeUndefined();
    await active.yieldTo('app', 'its scheduled backup is starting');
    expect(String(seen)).toContain('its scheduled backup is starting');
    await running;
  });
});
