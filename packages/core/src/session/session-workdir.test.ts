import { chmod, chown, lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@tricopy/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { parseConfig } from '../config/load.js';
import { Session } from './session.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-workdir-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function sessionWith(workDir: string): Promise<Session> {
  const config = await parseConfig(
    `workDir: ${JSON.stringify(workDir)}\ndestinations:\n  d: { type: local, path: ./d }\njobs: {}\n`,
    join(dir, 'tricopy.yaml'),
    {},
    TEST_PLUGINS,
  );
  return new Session({ config, logger: silentLogger });
}

async function runFolder(workDir: string): Promise<string> {
  const session = await sessionWith(workDir);
  try {
    return await session.workDir();
  } finally {
    await session.close();
    await session.closeCatalog();
  }
}

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

describe("a run's work folder", () => {
  it('is, by default, a folder of its own per user', async () => {
    const config = await parseConfig(
      'destinations:\n  d: { type: local, path: ./d }\njobs: {}\n',
      join(dir, 'tricopy.yaml'),
      {},
      TEST_PLUGINS,
    );
    expect(config.workDir).toBe(join(tmpdir(), `tricopy-${process.getuid?.()}`));
  });

  it('creates a missing workDir (and its parents) with mode 0700', async () => {
    const work = join(dir, 'a', 'work');
    await runFolder(work);
    const info = await lstat(work);
    expect(info.isDirectory()).toBe(true);
    expect(info.mode & 0o777).toBe(0o700);
  });

  it.runIf(asRoot)('refuses a workDir another user created, naming it and what to do', async () => {
    const work = join(dir, 'work');
    await mkdir(work, { mode: 0o700 });
    await chown(work, NOBODY, NOBODY);
    await expect(runFolder(work)).rejects.toThrow(
      `workDir ${work} belongs to uid ${NOBODY}, not to you (uid 0): tricopy keeps database snapshots and staged copies there, so it must be a folder of yours that nobody else can write (remove it so tricopy creates it, or set workDir in the config to a private folder)`,
    );
    expect(await readdir(work)).toEqual([]);
  });

  it('refuses a workDir that group or others can write', async () => {
    const work = join(dir, 'work');
    await mkdir(work);
    await chmod(work, 0o777);
    await expect(runFolder(work)).rejects.toThrow(
      `workDir ${work} has mode 0777: group or others can write in it`,
    );
    await chmod(work, 0o1770);
    await expect(runFolder(work)).rejects.toThrow(
      `workDir ${work} has mode 0770: group or others can write in it`,
    );
    expect(await readdir(work)).toEqual([]);
  });

  it('refuses a symlink, even to a private folder, and a file', async () => {
    await mkdir(join(dir, 'real'), { mode: 0o700 });
    await symlink(join(dir, 'real'), join(dir, 'link'));
    await expect(runFolder(join(dir, 'link'))).rejects.toThrow(`workDir ${join(dir, 'link')} is a symlink`);
    await writeFile(join(dir, 'file'), '');
    await expect(runFolder(join(dir, 'file'))).rejects.toThrow(
      `workDir ${join(dir, 'file')} is not a folder`,
    );
    expect(await readdir(join(dir, 'real'))).toEqual([]);
  });

  it.runIf(asRoot)(
    'refuses a workDir inside a folder another user owns, or others can rename things in',
    async () => {
      const shared = join(dir, 'shared');
      await mkdir(shared);
      await chmod(shared, 0o777);
      await expect(runFolder(join(shared, 'work'))).rejects.toThrow(
        `workDir ${join(shared, 'work')} is inside ${shared}, whose mode 0777 lets others rename what is in it (it lacks the sticky bit)`,
      );
      await chmod(shared, 0o1777);
      expect(await runFolder(join(shared, 'work'))).toMatch(/\/work\/run-/);
      const theirs = join(dir, 'theirs');
      await mkdir(theirs, { mode: 0o755 });
      await chown(theirs, NOBODY, NOBODY);
      await expect(runFolder(join(theirs, 'work'))).rejects.toThrow(
        `workDir ${join(theirs, 'work')} is inside ${theirs}, which belongs to uid ${NOBODY}`,
      );
    },
  );

  it('accepts a private folder of its own, readable by others or not', async () => {
    const work = join(dir, 'work');
    await mkdir(work);
    await chmod(work, 0o755);
    expect(await runFolder(work)).toMatch(new RegExp(`^${work}/run-${process.pid}-`));
  });
});
