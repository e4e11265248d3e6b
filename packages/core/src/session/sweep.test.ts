import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@tricopy/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { parseConfig } from '../config/load.js';
import { runBackups } from '../schedule/run-backups.js';
import { Session } from './session.js';

const FILE_SOURCE = fileURLToPath(new URL('../__fixtures__/file-source.mjs', import.meta.url));

function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string) => lines.push(`${level}: ${message}`);
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

describe('the start of a job sweeps what killed runs left', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-sweep-'));
    await writeFile(join(dir, 'data.sql'), 'INSERT INTO t VALUES (1);\n'.repeat(100));
    await mkdir(join(dir, 'd'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function backup(sourceExtra = '', destinations = ['primary']) {
    const config = await parseConfig(
      `
destinations:
  primary: { type: local, path: ./d/primary, fsync: false }
  secondary: { type: local, path: ./d/late/secondary, fsync: false }
jobs:
  app:
    source: { type: ${FILE_SOURCE}, path: ./data.sql${sourceExtra} }
    destinations: [${destinations.join(', ')}]
    compression: none
catalog: ./catalog.db
workDir: ./work
retries: { attempts: 0 }
`,
      join(dir, 'tricopy.yaml'),
      {},
      TEST_PLUGINS,
    );
    const logger = memoryLogger();
    const session = new Session({ config, logger });
    try {
      const report = await runBackups(session, ['app']);
      return { result: report.runs[0], logger };
    } finally {
      await session.close();
      await session.closeCatalog();
    }
  }

  const files = async () => (await readdir(join(dir, 'd/primary'), { recursive: true })).map(String).sort();

  it('removes temp uploads and the manifest-less artifacts of failed backups; keeps everything else', async () => {
    const failed = await backup(', failWith: "dump broke"');
    expect(failed.result?.status).toBe('failed');
    const failedId = failed.result?.backupId as string;
    const good = await backup();
    expect(good.result?.status, good.result?.error).toBe('ok');
    const goodId = good.result?.backupId as string;

    // What a SIGKILL leaves: a complete artifact without a manifest of the failed backup, a temp upload, and
    // files tricopy knows nothing about (another tool's, or of a backup not in this catalog).
    const hourAgo = new Date(Date.now() - 3_600_000);
    const leftovers = {
      artifact: join(dir, 'd/primary/app', failedId, 'app.sql'),
      temp: join(dir, 'd/primary/app', failedId, '.tricopy-tmp-0123456789abcdef'),
      unknown: join(dir, 'd/primary/app/20200101T000000Z-abcdef/app.sql'),
    };
    for (const file of Object.values(leftovers)) {
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, 'partial');
      await utimes(file, hourAgo, hourAgo);
    }
    const before = await files();

    const next = await backup();
    expect(next.result?.status).toBe('ok');
    const after = await files();
    expect(after).not.toContain(`app/${failedId}/app.sql`);
    expect(after).not.toContain(`app/${failedId}/.tricopy-tmp-0123456789abcdef`);
    expect(after).toContain('app/20200101T000000Z-abcdef/app.sql');
    expect(after).toContain(`app/${goodId}/manifest.json`);
    expect(
      after.filter((f) => !before.includes(f)).every((f) => f.startsWith(`app/${next.result?.backupId}`)),
    ).toBe(true);
    const removed = next.logger.lines.filter((l) => l.includes('removed what an interrupted run left'));
    expect(removed).toHaveLength(2);
    expect(removed.some((l) => l.includes(`backup ${failedId} failed there; no manifest`))).toBe(true);
  });

  it("removes only provably dead temp uploads: its own runs' at any age, another config's only after a week", async () => {
    const failed = await backup(', failWith: "dump broke"');
    const ownId = failed.result?.backupId as string;
    const minuteAgo = new Date(Date.now() - 60_000);
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
    const temps = {
      // A run of this catalog that was killed a minute ago: dead, since this run holds the job's lock.
      own: { file: join(dir, 'd/primary/app', ownId, '.tricopy-tmp-own'), time: minuteAgo },
      // Another config (its own catalog) writing the same job's folder right now.
      live: { file: join(dir, 'd/primary/app/20261206T120000Z-0a1b2c/.tricopy-tmp-live'), time: minuteAgo },
      // Another config's upload nobody has written for eight days.
      stale: {
        file: join(dir, 'd/primary/app/20261128T120000Z-0a1b2c/.tricopy-tmp-stale'),
        time: eightDaysAgo,
      },
    };
    for (const { file, time } of Object.values(temps)) {
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, 'partial');
      await utimes(file, time, time);
    }

    const next = await backup();
    expect(next.result?.status).toBe('ok');
    const after = await files();
    expect(after).not.toContain(`app/${ownId}/.tricopy-tmp-own`);
    expect(after).toContain('app/20261206T120000Z-0a1b2c/.tricopy-tmp-live');
    expect(after).not.toContain('app/20261128T120000Z-0a1b2c/.tricopy-tmp-stale');
  });

  it('removes the manifest-less artifact of a copy that failed in a degraded backup; keeps its good copy', async () => {
    // The secondary's folder is missing (an unmounted disk): that copy fails, the backup is degraded.
    const degraded = await backup('', ['primary', 'secondary']);
    expect(degraded.result?.status).toBe('degraded');
    const id = degraded.result?.backupId as string;
    // What a copy whose manifest could not be written (nor its artifact deleted: the disk turned read-only) leaves.
    const orphan = join(dir, 'd/late/secondary/app', id, 'app.txt');
    await mkdir(join(orphan, '..'), { recursive: true });
    await writeFile(orphan, 'partial');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(orphan, hourAgo, hourAgo);

    const next = await backup('', ['primary', 'secondary']);
    expect(next.result?.status, next.result?.error).toBe('ok');
    const secondary = (await readdir(join(dir, 'd/late/secondary'), { recursive: true })).map(String);
    expect(secondary).not.toContain(`app/${id}/app.txt`);
    expect(await files()).toContain(`app/${id}/app.txt`);
    expect(await files()).toContain(`app/${id}/manifest.json`);
  });
});
