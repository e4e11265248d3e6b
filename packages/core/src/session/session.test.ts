import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@tricopy/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { parseConfig } from '../config/load.js';
import { Session } from './session.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-session-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('Session work folder', () => {
  it('removes scratch folders of dead runs, keeps live ones, and removes its own on close', async () => {
    const work = join(dir, 'work');
    await mkdir(join(work, 'run-999999999-abc'), { recursive: true });
    await writeFile(join(work, 'run-999999999-abc', 'spool'), 'x'.repeat(1000));
    await mkdir(join(work, `run-${process.ppid}-live`));
    await mkdir(join(work, 'unrelated'));
    const config = await parseConfig(
      `workDir: ./work\ndestinations: {}\njobs: {}\n`,
      join(dir, 'tricopy.yaml'),
      {},
      TEST_PLUGINS,
    );
    const session = new Session({ config, logger: silentLogger });
    const own = await session.workDir();
    expect((await readdir(work)).sort()).toEqual(
      [`run-${process.ppid}-live`, own.split('/').pop(), 'unrelated'].sort(),
    );
    await session.close();
    await session.closeCatalog();
    expect((await readdir(work)).sort()).toEqual([`run-${process.ppid}-live`, 'unrelated']);
  });
});
