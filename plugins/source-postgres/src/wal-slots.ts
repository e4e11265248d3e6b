import { SourceError } from '@tricopy/contract';
import type pg from 'pg';
import { type ConnectionSettings, connect } from './connection.js';

/** The two slots of a job's WAL archiving: `ack` keeps every byte not yet safely stored; `recv` is pg_receivewal's. */
export interface WalSlots {
  readonly ack: string;
  readonly recv: string;
}

/** Runs `fn` on a short session to the job's database. */
export async function withClient<T>(
  settings: ConnectionSettings,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connect(settings, settings.options.database);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function setting(client: pg.Client, name: string): Promise<string | undefined> {
  const result = await client.query<{ setting: string }>(
    'SELECT setting FROM pg_catalog.pg_settings WHERE name = $1',
    [name],
  );
  return result.rows[0]?.setting;
}

/** What WAL archiving needs of the server and role; a one-line SourceError naming the fix otherwise. */
export async function assertCanArchiveWal(settings: ConnectionSettings, client: pg.Client): Promise<void> {
  const { instance, options } = settings;
  const fail = (text: string) => new SourceError(`source "${instance}": ${text}`);
  const role = await client.query<{ ok: boolean }>(
    'SELECT rolreplication OR rolsuper AS ok FROM pg_catalog.pg_roles WHERE rolname = current_user',
  );
  if (role.rows[0]?.ok !== true) {
    throw fail(
      `role "${options.user}" lacks the REPLICATION attribute that WAL archiving needs: ALTER ROLE ${options.user} REPLICATION, and allow it a "replication" line in pg_hba.conf`,
    );
  }
  if ((await setting(client, 'wal_level')) === 'minimal') {
    throw fail(
      'wal_level is minimal, which keeps no WAL to archive: set wal_level = replica in postgresql.conf and restart PostgreSQL',
    );
  }
  if (Number(await setting(client, 'max_replication_slots')) < 2) {
    throw fail(
      'max_replication_slots is below 2 (WAL archiving uses two slots): set max_replication_slots in postgresql.conf (at least 2 more than other uses) and restart PostgreSQL',
    );
  }
}

/** wal_segment_size in bytes. */
export async function segmentBytes(client: pg.Client): Promise<number> {
  return Number(await setting(client, 'wal_segment_size'));
}

/**
 * Makes the receive slot a fresh copy of the acknowledgement slot (created, reserving WAL at once, when missing), so
 * the receiver resumes from the last acknowledged segment: nothing the server still holds for tricopy is skipped.
 */
export async function prepareSlots(
  settings: ConnectionSettings,
  client: pg.Client,
  slots: WalSlots,
): Promise<void> {
  const found = await client.query<{ slot_name: string; active: boolean }>(
    'SELECT slot_name, active FROM pg_catalog.pg_replication_slots WHERE slot_name IN ($1, $2)',
    [slots.ack, slots.recv],
  );
  const byName = new Map(found.rows.map((row) => [row.slot_name, row]));
  try {
    if (!byName.has(slots.ack)) {
      await client.query('SELECT pg_catalog.pg_create_physical_replication_slot($1, true)', [slots.ack]);
    }
    const recv = byName.get(slots.recv);
    if (recv?.active) await endOrphanReceiver(settings, client, slots.recv);
    if (recv !== undefined)
      await client.query('SELECT pg_catalog.pg_drop_replication_slot($1)', [slots.recv]);
    await client.query('SELECT pg_catalog.pg_copy_physical_replication_slot($1, $2)', [
      slots.ack,
      slots.recv,
    ]);
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw new SourceError(
      `source "${settings.instance}": preparing replication slots ${slots.ack} and ${slots.recv} failed: ${settings.redact(error instanceof Error ? error.message : String(error))}`,
    );
  }
}

/**
 * The receive slot is still in use: by a pg_receivewal whose archiver was killed (the archiver's lock keeps a live one
 * from starting a second). Its session is ended (it was started with --no-loop: it exits) and the slot awaited.
 */
async function endOrphanReceiver(
  settings: ConnectionSettings,
  client: pg.Client,
  slot: string,
): Promise<void> {
  await client.query(
    'SELECT pg_catalog.pg_terminate_backend(active_pid) FROM pg_catalog.pg_replication_slots WHERE slot_name = $1 AND active',
    [slot],
  );
  for (let attempt = 0; attempt < 100; attempt++) {
    const active = await client.query<{ active: boolean }>(
      'SELECT active FROM pg_catalog.pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    if (active.rows[0]?.active !== true) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new SourceError(
    `source "${settings.instance}": replication slot ${slot} stays in use by another receiver: stop the other pg_receivewal for this job`,
  );
}

/** Moves the acknowledgement slot to `lsn` unless it is there or past it already (idempotent). */
export async function advanceAckSlot(client: pg.Client, slot: string, lsn: string): Promise<void> {
  await client.query(
    `SELECT pg_catalog.pg_replication_slot_advance(slot_name, $2::pg_lsn) FROM pg_catalog.pg_replication_slots
     WHERE slot_name = $1 AND (restart_lsn IS NULL OR restart_lsn < $2::pg_lsn)`,
    [slot, lsn],
  );
}
