import { mkdir, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { SOCKET_DIR_PREFIX, sweepBaseScratch } from './base-scratch-sweep.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

it('removes only socket folders of restore tests older than the cut-off', async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-sweep-test-'));
  const old = new Date('2026-01-01T00:00:00Z');
  for (const name of [`${SOCKET_DIR_PREFIX}old`, `${SOCKET_DIR_PREFIX}new`, 'someone-else']) {
    await mkdir(join(dir, name));
  }
  await utimes(join(dir, `${SOCKET_DIR_PREFIX}old`), old, old);
  await utimes(join(dir, 'someone-else'), old, old);
  const removed = await sweepBaseScratch(new Date('2026-06-01T00:00:00Z'), dir);
  expect(removed).toEqual([`restore-test socket folder ${join(dir, `${SOCKET_DIR_PREFIX}old`)}`]);
  expect((await readdir(dir)).sort()).toEqual(['someone-else', `${SOCKET_DIR_PREFIX}new`]);
});
