import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileExclusive, openExclusive, writeFileBeside } from './exclusive-file.js';

let dir: string;
let victim: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-exclusive-'));
  victim = join(dir, 'victim');
  await writeFile(victim, 'precious', { mode: 0o600 });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('createFileExclusive', () => {
  it('creates a new file with exactly the mode asked for', async () => {
    const path = join(dir, 'new');
    await createFileExclusive(path, 'data', 0o640);
    expect(await readFile(path, 'utf8')).toBe('data');
    expect((await stat(path)).mode & 0o777).toBe(0o640);
  });

  it('refuses a symlink (even a dangling one) instead of writing through it', async () => {
    await symlink(victim, join(dir, 'link'));
    await symlink(join(dir, 'nowhere'), join(dir, 'dangling'));
    await expect(createFileExclusive(join(dir, 'link'), 'evil')).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(createFileExclusive(join(dir, 'dangling'), 'evil')).rejects.toMatchObject({
      code: 'EEXIST',
    });
    expect(await readFile(victim, 'utf8')).toBe('precious');
    expect(await readdir(dir)).not.toContain('nowhere');
  });

  it('refuses an existing file', async () => {
    await expect(openExclusive(victim)).rejects.toMatchObject({ code: 'EEXIST' });
  });
});

describe('writeFileBeside', () => {
  it('replaces a symlink at the path with a file, leaving what it pointed at alone', async () => {
    const path = join(dir, 'out.prom');
    await symlink(victim, path);
    await writeFileBeside(path, 'metrics', 0o644);
    expect((await lstat(path)).isFile()).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('metrics');
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    expect(await readFile(victim, 'utf8')).toBe('precious');
    expect((await readdir(dir)).sort()).toEqual(['out.prom', 'victim']);
  });

  it('leaves no temporary file when the rename fails', async () => {
    const folder = join(dir, 'folder');
    await mkdir(folder);
    await writeFile(join(folder, 'inside'), '');
    await expect(writeFileBeside(folder, 'x')).rejects.toMatchObject({ code: 'EISDIR' });
    expect((await readdir(dir)).sort()).toEqual(['folder', 'victim']);
  });
});
