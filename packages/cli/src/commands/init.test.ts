import { lstat, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { STARTER_CONFIG } from '../starter-config.js';
import { initCommand } from './init.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-init-'));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

describe('init never writes through a symlink planted where it writes', () => {
  it('refuses a dangling symlink at the config path instead of creating its target', async () => {
    const config = join(dir, 'tricopy.yaml');
    await symlink(join(dir, 'elsewhere'), config);
    await expect(initCommand({ config })).rejects.toThrow(`${config} exists; pass --force to overwrite it`);
    expect(await exists(join(dir, 'elsewhere'))).toBe(false);
  });

  it('with --force replaces the symlink itself, leaving the file it pointed at alone', async () => {
    const config = join(dir, 'tricopy.yaml');
    await writeFile(join(dir, 'victim'), 'precious', { mode: 0o600 });
    await symlink(join(dir, 'victim'), config);
    await initCommand({ config, force: true });
    expect(await readFile(join(dir, 'victim'), 'utf8')).toBe('precious');
    expect((await lstat(config)).isFile()).toBe(true);
    expect(await readFile(config, 'utf8')).toBe(STARTER_CONFIG);
    expect((await lstat(config)).mode & 0o777).toBe(0o600);
  });

  it('init --demo leaves dangling symlinks at its file names alone and creates nothing through them', async () => {
    const demo = join(dir, 'demo');
    await initCommand({ demo });
    await rm(join(demo, 'shop.db'));
    await rm(join(demo, 'tricopy.yaml'));
    await symlink(join(dir, 'planted.db'), join(demo, 'shop.db'));
    await symlink(join(dir, 'planted.yaml'), join(demo, 'tricopy.yaml'));
    await initCommand({ demo });
    expect(await exists(join(dir, 'planted.db'))).toBe(false);
    expect(await exists(join(dir, 'planted.yaml'))).toBe(false);
    expect((await readdir(demo)).sort()).toEqual(['backups', 'shop.db', 'tricopy.yaml']);
  });

  it('init --demo creates the database and the config once, and keeps them on a second run', async () => {
    const demo = join(dir, 'demo');
    await initCommand({ demo });
    await writeFile(join(demo, 'tricopy.yaml'), '# mine\n');
    const before = await readFile(join(demo, 'shop.db'));
    await initCommand({ demo });
    expect(await readFile(join(demo, 'tricopy.yaml'), 'utf8')).toBe('# mine\n');
    expect((await readFile(join(demo, 'shop.db'))).equals(before)).toBe(true);
    expect((await readdir(demo)).sort()).toEqual(['backups', 'shop.db', 'tricopy.yaml']);
  });

  it('names the config path, not a temporary name, when its folder is missing', async () => {
    const config = join(dir, 'missing', 'tricopy.yaml');
    for (const force of [false, true]) {
      await expect(initCommand({ config, force })).rejects.toThrow(
        `cannot write ${config}: its folder does not exist (create it first)`,
      );
    }
  });
});
