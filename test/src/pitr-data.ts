// Rows written at known server times, WAL switches and slot positions, for the PITR e2e.
import type { PostgresServer } from '@tricopy/test-servers';
import { PITR_DATABASE } from './pitr-env.js';

export const EVENTS_TABLE_SQL = `CREATE TABLE events (
  id serial PRIMARY KEY,
  batch text NOT NULL,
  n int NOT NULL,
  body text NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE ticks (at timestamptz NOT NULL DEFAULT clock_timestamp())`;

/**
 * Polls `probe` until it returns something other than undefined/false; rejects naming `what` after `timeoutMs`
 * (`what` may be a function, read then: a status the probe kept up to date).
 */
export async function until<T>(
  what: string | (() => string),
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 120_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const said = typeof what === 'string' ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${said} (last: ${String(last)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

const sql = (pg: PostgresServer, text: string) => pg.sql(PITR_DATABASE, text).then((out) => out.trim());

/**
 * Inserts `count` rows of `batch` in one transaction and returns the server's clock after its commit (ISO with
 * offset), so a recovery target at or after it includes the batch.
 */
export async function writeBatch(pg: PostgresServer, batch: string, count: number): Promise<string> {
  await sql(
    pg,
    `INSERT INTO events (batch, n, body) SELECT '${batch}', g, repeat(md5(g::text), 8) FROM generate_series(1, ${count}) g`,
  );
  return serverNow(pg);
}

export async function serverNow(pg: PostgresServer): Promise<string> {
  return sql(pg, `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);
}

/**
 * A recovery target strictly after `after` and strictly before anything written once this resolves: the next whole
 * second after `after` (whole seconds: the form the docs show for --time), waited out on the server's clock.
 */
export async function targetAfter(pg: PostgresServer, after: string): Promise<string> {
  const target = new Date(Math.floor(Date.parse(after) / 1000) * 1000 + 1000);
  const text = `${target.toISOString().slice(0, 19).replace('T', ' ')}+00`;
  await until(
    `the server's clock to pass ${text}`,
    async () => (await sql(pg, `SELECT clock_timestamp() > '${text}'::timestamptz`)) === 't',
    10_000,
    50,
  );
  return text;
}

/** `batch → row count` of the events table, as a database (restored or not) holds them. */
export async function batchCounts(
  query: (database: string, text: string) => Promise<string>,
): Promise<Record<string, number>> {
  const out = await query(PITR_DATABASE, 'SELECT batch, count(*) FROM events GROUP BY batch ORDER BY batch');
  return Object.fromEntries(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [batch, count] = line.split('|');
        return [batch as string, Number(count)];
      }),
  );
}

/** Closes the current WAL segment (after writing to it, so there is one to close) and returns its name. */
export async function switchWal(pg: PostgresServer): Promise<string> {
  await sql(pg, 'INSERT INTO ticks DEFAULT VALUES');
  return sql(pg, 'SELECT pg_walfile_name(pg_switch_wal())');
}

/**
 * The first segment the slot still retains (the one its restart_lsn is in; a restart_lsn on a segment boundary is
 * the start of the next one, hence the + 1: pg_walfile_name names the segment an LSN ends), or undefined.
 */
export async function slotRestartSegment(pg: PostgresServer, slot: string): Promise<string | undefined> {
  const out = await sql(
    pg,
    `SELECT pg_walfile_name(restart_lsn + 1) FROM pg_replication_slots WHERE slot_name = '${slot}' AND restart_lsn IS NOT NULL`,
  );
  return out === '' ? undefined : out;
}
