import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteCatalog } from './sqlite-catalog.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-catalog-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('opening the catalog', () => {
  it('a damaged file is named, with the way back: catalog rebuild', async () => {
    const path = join(dir, 'catalog.db');
    await writeFile(path, 'this is not a SQLite database, just some bytes that fill a header '.repeat(100));
    expect(() => openSqliteCatalog(path)).toThrow(
      new RegExp(
        `^the catalog ${path} is damaged \\(file is not a database\\): move it aside and run \`tricopy catalog rebuild --from DESTINATION\``,
      ),
    );
  });

  it('a 0-byte file is refused, not silently treated as a new catalog', async () => {
    const path = join(dir, 'catalog.db');
    await writeFile(path, '');
    expect(() => openSqliteCatalog(path)).toThrow(`the catalog ${path} is empty (0 bytes)`);
  });

  it('a missing file is a new catalog', async () => {
    const catalog = openSqliteCatalog(join(dir, 'new', 'catalog.db'));
    expect(await catalog.schemaVersion()).toBeGreaterThan(0);
    await catalog.close();
  });
});
