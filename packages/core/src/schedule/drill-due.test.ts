import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@tricopy/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { type LoadedConfig, parseConfig } from '../config/load.js';
import { Session } from '../session/session.js';
import { drillDue } from './drill-due.js';
import { runRotationTick } from './rotation-run.js';
import { runBackups } from './run-backups.js';

const FILE_SOURCE = fileURLToPath(new URL('../__fixtures__/file-source.mjs', import.meta.url));

describe('scheduled drills', () => {
  let dir: string;
  let config: LoadedConfig;
  let now: Date;
  const clock = () => now;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-drill-'));
    await mkdir(join(dir, 'd'));
    await writeFile(join(dir, 'data.sql'), 'INSERT INTO t VALUES (1);\n');
    config = await parseConfig(
      `
destinations:
  primary: { type: local, path: ./d/primary, fsync: false }
jobs:
  app:
    source: { type: ${FILE_SOURCE}, path: ./data.sql }
    destinations: [primary]
    drill: { schedule: "0 4 * * *", target: { path: ./staging.sql } }
catalog: ./catalog.db
workDir: ./work
`,
      join(dir, 'tricopy.yaml'),
      {},
      TEST_PLUGINS,
    );
    now = new Date('2025-03-01T02:00:00Z');
    const session = new Session({ config, logger: silentLogger, now: clock });
    try {
      expect((await runBackups(session, ['app'])).runs[0]?.status).toBe('ok');
    } finally {
      await session.close();
      await session.closeCatalog();
    }
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const tick = () =>
    runRotationTick(config, {
      logger: silentLogger,
      signal: new AbortController().signal,
      tickMs: 3_600_000,
      now: clock,
    });
  const drills = async () => {
    const session = new Session({ config, logger: silentLogger, now: clock });
    try {
      const [backup] = await session.catalog.listBackups({ job: 'app' });
      return (await session.catalog.listVerifications(backup?.id as string)).filter(
        (v) => v.level === 'drill',
      );
    } finally {
      await session.close();
      await session.closeCatalog();
    }
  };

  it('is due when its schedule has fired since the last drill, or there was none', () => {
    const job = config.jobs.get('app')!;
    const last = new Date('2025-03-01T04:10:00Z');
    expect(drillDue(job, null, now)).toBe(true);
    expect(drillDue(job, last, new Date('2025-03-02T03:59:00Z'))).toBe(false);
    expect(drillDue(job, last, new Date('2025-03-02T04:00:00Z'))).toBe(true);
  });

  it('the daemon tick restores into the target and records a drill once per scheduled time', async () => {
    await tick();
    expect(await readFile(join(dir, 'staging.sql'), 'utf8')).toBe('INSERT INTO t VALUES (1);\n');
    const [first] = await drills();
    expect(first).toMatchObject({ status: 'ok', destination: 'primary' });
    expect(JSON.parse(first?.detail ?? '{}')).toMatchObject({
      target: join(dir, 'staging.sql'),
      assertions: [],
      error: null,
    });
    now = new Date('2025-03-01T03:00:00Z');
    await tick();
    expect(await drills()).toHaveLength(1);
    now = new Date('2025-03-01T04:30:00Z');
    await tick();
    expect(await drills()).toHaveLength(2);
  });
});
