import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@tricopy/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTornPartials } from './wal-receiver.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('removeTornPartials', () => {
  it('removes a partial segment a killed pg_receivewal left half padded, and nothing else', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-spool-'));
    await writeFile(join(dir, '000000010000000000000003'), Buffer.alloc(64));
    await writeFile(join(dir, '000000010000000000000004.partial'), Buffer.alloc(40));
    await writeFile(join(dir, '000000010000000000000005.partial'), Buffer.alloc(64));
    await writeFile(join(dir, '000000010000000000000006.partial'), '');
    await removeTornPartials(dir, 64, silentLogger);
    expect((await readdir(dir)).sort()).toEqual([
      '000000010000000000000003',
      '000000010000000000000005.partial',
      '000000010000000000000006.partial',
    ]);
  });
});
