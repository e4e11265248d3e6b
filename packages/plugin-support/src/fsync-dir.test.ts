import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fsyncDir } from './fsync-dir.js';

describe('fsyncDir', () => {
  it('syncs an existing folder', async () => {
    await expect(fsyncDir(import.meta.dirname)).resolves.toBeUndefined();
  });

  it('rejects with ENOENT for a missing folder', async () => {
    await expect(fsyncDir(join(import.meta.dirname, 'no-such-folder'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
