import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Catalog, openSqliteCatalog } from '@tricopy/core';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { afterAll, beforeAll } from 'vitest';
import { openPostgresCatalog } from '../pg-catalog.js';
import { postgresUrl } from './postgres-url.js';

/**
 * Openers of a new, empty catalog of each kind (SQLite file, PostgreSQL database on a server the suite starts), for
 * `describe.each`: what a caller sees must not depend on where the catalog lives. Call at the top of a test file.
 */
export function bothCatalogs(now: () => Date): [string, () => Promise<Catalog>][] {
  let server: PostgresServer | undefined;
  let dir = '';
  let databases = 0;
  beforeAll(async () => {
    server = await startPostgres();
    dir = await mkdtemp(join(tmpdir(), 'tricopy-catalogs-'));
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });
  const postgres = async () => {
    if (server === undefined) throw new Error('bothCatalogs: the server has not started');
    const name = `catalog_${++databases}`;
    await server.createDatabase(name);
    return openPostgresCatalog(postgresUrl(server, name), { now });
  };
  return [
    ['SQLite', async () => openSqliteCatalog(join(dir, `catalog-${++databases}.db`), now)],
    ['PostgreSQL', postgres],
  ];
}
