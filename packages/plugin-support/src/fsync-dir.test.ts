import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsyncDir } from './fsync-dir.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fsync-dir-'));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('fsyncDir', () => {
  it('syncs an existing folder', async () => {
    await expect(fsyncDir(dir)).resolves.toBeUndefined();
  });

  it('rejects with ENOENT for a missing folder', async () => {
    await expect(fsyncDir(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
