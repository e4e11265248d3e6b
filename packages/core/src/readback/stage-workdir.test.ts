import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { silentLogger } from '@tricopy/contract';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { type DestinationSpec, parseConfig } from '../config/load.js';
import { Session } from '../session/session.js';
import { stageCopy } from './stage.js';

// The staged file is created exclusively (never through a symlink): here it is /dev/full, which answers every
// write with ENOSPC, as a full disk does.
vi.mock('@tricopy/contract', async (original) => ({
  ...(await original<typeof import('@tricopy/contract')>()),
  openExclusive: () => open('/dev/full', 'r+'),
}));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-stage-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('staging a remote copy in workDir', () => {
  it('a full workDir is named as the problem, not the copy', async () => {
    const loaded = await parseConfig(
      'workDir: ./work\ndestinations:\n  offsite: { type: local, path: ./d }\njobs: {}\n',
      join(dir, 'tricopy.yaml'),
      {},
      TEST_PLUGINS,
    );
    const local = loaded.destinations.get('offsite') as DestinationSpec;
    // A destination without the local capability is staged through workDir.
    const remote = { get: async () => Readable.from([Buffer.alloc(64 * 1024, 1)]) };
    const plugin = { ...local.plugin, create: async () => remote } as unknown as DestinationSpec['plugin'];
    const config = { ...loaded, destinations: new Map([['offsite', { ...local, plugin }]]) };
    const session = new Session({ config, logger: silentLogger });
    try {
      const staging = stageCopy(session, 'offsite', 'app/1/app.sqlite.zst', { size: 65536, sha256: 'x' });
      await expect(staging).rejects.toThrow(
        `workDir ${join(dir, 'work')} has no space left to stage the copy from offsite (64.0 KiB needed)`,
      );
    } finally {
      await session.close();
      await session.closeCatalog();
    }
  });
});
