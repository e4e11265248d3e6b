import { isAbandonedScratch, RESTORE_TEST_PREFIX } from '@tricopy/plugin-support';
import type pg from 'pg';
import { type ConnectionSettings, connect, quoteIdent } from './connection.js';

/**
 * The comment a restore test puts on the scratch database it creates. The sweep drops only databases carrying it,
 * so a database someone else named `tricopy_restoretest_*` (a restore of their own, say) is never touched.
 */
const MARKER = 'created by a tricopy restore test as ';

/** Creates a restore test's scratch database (empty, from template0) and marks it as tricopy's. */
export async function createScratchDatabase(client: pg.Client, name: string): Promise<void> {
  // template0: the dump recreates everything; objects added to template1 would collide with it.
  await client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`);
  await client.query(`COMMENT ON DATABASE ${quoteIdent(name)} IS ${client.escapeLiteral(MARKER + name)}`);
}

/**
 * Drops the restore-test databases a killed restore test left: created and marked by a restore test, nobody
 * connected, created before `olderThan`. Returns their names; one that cannot be dropped (another owner) is left.
 */
export async function dropAbandonedScratch(settings: ConnectionSettings, olderThan: Date): Promise<string[]> {
  const client = await connect(settings, settings.options.maintenanceDatabase);
  try {
    const result = await client.query<{ datname: string }>(
      `SELECT d.datname FROM pg_catalog.pg_database d
        WHERE starts_with(d.datname, $1)
          AND pg_catalog.shobj_description(d.oid, 'pg_database') = $2 || d.datname
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.datid = d.oid)`,
      [RESTORE_TEST_PREFIX, MARKER],
    );
    const dropped: string[] = [];
    for (const { datname } of result.rows) {
      if (!isAbandonedScratch(datname, olderThan)) continue;
      // Without FORCE: a restore test that connected meanwhile keeps its database.
      const ok = await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)}`).then(
        () => true,
        () => false,
      );
      if (ok) dropped.push(datname);
    }
    return dropped;
  } finally {
    await client.end().catch(() => {});
  }
}
