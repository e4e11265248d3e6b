import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Catalog } from './catalog.js';
import { openSqliteCatalog } from './sqlite-catalog.js';

let dir: string;
let catalog: Catalog;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-catalog-'));
  catalog = openSqliteCatalog(join(dir, 'catalog.db'));
});
afterEach(async () => {
  await catalog.close();
  await rm(dir, { recursive: true, force: true });
});

const backup = (id: string) => ({
  id,
  job: 'app',
  sourceType: 'sqlite',
  startedAt: '2026-12-01T00:00:00.000Z',
});

describe('the SQLite catalog under concurrent async callers', () => {
  it('a statement issued while a transaction awaits is not part of it (a rollback keeps it)', async () => {
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const failing = catalog.transaction(async (tx) => {
      await tx.insertBackup(backup('in-transaction'));
      entered();
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('rolled back');
    });
    await inside;
    const outside = catalog.insertBackup(backup('outside'));
    await expect(failing).rejects.toThrow('rolled back');
    await outside;
    expect((await catalog.listBackups()).map((b) => b.id)).toEqual(['outside']);
  });

  it('a transaction that succeeds keeps everything it did', async () => {
    await catalog.transaction(async (tx) => {
      await tx.insertBackup(backup('a'));
      await tx.upsertCopy({
        backupId: 'a',
        destination: 'primary',
        status: 'verified',
        key: 'app/a/x',
        location: null,
        size: 1,
        sha256: null,
        attempts: 1,
        error: null,
      });
    });
    expect((await catalog.listCopies('a')).map((c) => c.destination)).toEqual(['primary']);
  });
});
