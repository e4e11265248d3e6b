import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@tricopy/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { claimSpool, removeTornPartials } from './wal-receiver.js';

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

describe('claimSpool', () => {
  it("moves another cluster's files aside, keeps this cluster's", async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-spool-'));
    const spool = dir;
    await writeFile(join(spool, '000000010000000000000007'), 'old');
    await claimSpool(spool, '111', silentLogger);
    expect((await readdir(spool)).filter((name) => !name.startsWith('.'))).toEqual([]);
    const aside = (await readdir(spool)).find((name) => name.startsWith('.other-unknown-')) as string;
    expect(await readdir(join(spool, aside))).toEqual(['000000010000000000000007']);
    expect((await readFile(join(spool, '.tricopy-system-identifier'), 'utf8')).trim()).toBe('111');
    await writeFile(join(spool, '000000010000000000000001'), 'ours');
    await claimSpool(spool, '111', silentLogger);
    expect(await readdir(spool)).toContain('000000010000000000000001');
    await claimSpool(spool, '222', silentLogger);
    expect(await readdir(spool)).not.toContain('000000010000000000000001');
    expect((await readdir(spool)).some((name) => name.startsWith('.other-111-'))).toBe(true);
  });
});
