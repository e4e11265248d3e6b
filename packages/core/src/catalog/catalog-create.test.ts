import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { openSqliteCatalog } from './sqlite-catalog.js';
import { refuseEmptyCatalog } from './sqlite-file.js';

// Every time SQLite opens a file, another process opening the catalog at that very moment is played out.
const opening = vi.hoisted(() => ({ check: (_file: string) => {} }));
vi.mock('better-sqlite3', async (importOriginal) => {
  const real = (await importOriginal<{ default: new (...args: unknown[]) => object }>()).default;
  class Observed extends real {
    constructor(...args: unknown[]) {
      opening.check(String(args[0]));
      super(...args);
    }
  }
  return { default: Observed };
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-catalog-create-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('a new catalog is never seen empty by a process opening it while it is made', async () => {
  const path = join(dir, 'catalog.db');
  const seen: string[] = [];
  opening.check = () => {
    try {
      refuseEmptyCatalog(path);
    } catch (error) {
      seen.push((error as Error).message);
    }
  };
  const catalog = openSqliteCatalog(path);
  expect(await catalog.schemaVersion()).toBeGreaterThan(0);
  await catalog.close();
  expect(seen).toEqual([]);
});
