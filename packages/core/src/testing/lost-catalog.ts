import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openSqliteCatalog } from '../catalog/sqlite-catalog.js';
import { Session } from '../session/session.js';
import type { Harness } from './harness.js';

/** The harness's catalog is lost: a session over the same config and destinations, with a new empty catalog. */
export async function sessionWithLostCatalog(t: Harness): Promise<Session> {
  await t.session.closeCatalog();
  const path = join(t.dir, 'rebuilt.db');
  await rm(path, { force: true });
  return new Session({
    config: t.session.config,
    logger: t.session.logger,
    catalog: openSqliteCatalog(path),
  });
}
