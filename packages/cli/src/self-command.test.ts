import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfCommand } from './self-command.js';

describe('selfCommand (what schedule --print runs)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy self command '));
    await writeFile(join(dir, 'bin.js'), '');
    await symlink(join(dir, 'bin.js'), join(dir, 'tricopy'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is the repository launcher when it started the CLI', () => {
    expect(selfCommand({ TRICOPY_LAUNCHER: '/opt/tricopy repo/tricopy' }, ['node', 'x'])).toEqual([
      '/opt/tricopy repo/tricopy',
    ]);
  });

  it('is this Node with the installed bin, not the file the bin links to', () => {
    expect(selfCommand({}, ['node', join(dir, 'tricopy')])).toEqual([process.execPath, join(dir, 'tricopy')]);
  });

  it('is this Node with the real path of a script started directly', () => {
    expect(selfCommand({}, ['node', join(dir, 'bin.js')])).toEqual([process.execPath, join(dir, 'bin.js')]);
  });
});
