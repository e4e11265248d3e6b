import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Destination, silentLogger } from '@tricopy/contract';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { parseConfig } from '../config/load.js';
import { Session } from '../session/session.js';
import { checkConfig } from './check.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-check-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('check: the 3-2-1 status counts only destinations that passed their probe', () => {
  it('an unreachable destination makes the policy short, not "ok"', async () => {
    await mkdir(join(dir, 'here'));
    const db = new Database(join(dir, 'app.db'));
    db.exec('CREATE TABLE t (x)');
    db.close();
    const config = await parseConfig(
      `destinations:
  here: { type: local, path: ./here }
  gone: { type: local, path: ./unmounted/volume, media: removable }
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [here, gone]
policy: { copies: 2, media: 2, offsite: 0 }
`,
      join(dir, 'tricopy.yaml'),
      {},
      TEST_PLUGINS,
    );
    const session = new Session({ config, logger: silentLogger });
    try {
      const report = await checkConfig(session);
      expect(report.ok).toBe(false);
      expect(report.jobs[0]).toMatchObject({
        job: 'app',
        unreachable: ['gone'],
        policy: { met: false, shortfall: '1 copy of 2; 1 medium of 2' },
      });
    } finally {
      await session.close();
      await session.closeCatalog();
    }
  });
});

describe('check: the probe is judged as every copy is', () => {
  it('fails a destination whose put reports a SHA-256 other than the bytes written', async () => {
    await mkdir(join(dir, 'here'));
    const config = await parseConfig(
      `destinations:
  here: { type: local, path: ./here }
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [here]
`,
      join(dir, 'tricopy.yaml'),
      {},
      TEST_PLUGINS,
    );
    const session = new Session({ config, logger: silentLogger });
    const real = await session.destination('here');
    const lying = new Proxy(real, {
      get(target, property) {
        if (property === 'put')
          return async (...args: Parameters<Destination['put']>) => ({
            ...(await target.put(...args)),
            sha256: 'f'.repeat(64),
          });
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    vi.spyOn(session, 'destination').mockResolvedValue(lying);
    try {
      const report = await checkConfig(session);
      expect(report.destinations[0]).toMatchObject({ destination: 'here', ok: false });
      expect(report.destinations[0]?.error).toMatch(/^probe checksum-mismatch: stored sha256 f{64}/);
    } finally {
      await session.close();
      await session.closeCatalog();
    }
  });
});
