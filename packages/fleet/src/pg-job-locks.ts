import { hostname } from 'node:os';
import {
  type CatalogJobLocks,
  type LockAttempt,
  type LockPurpose,
  lockHeldMessage,
  lockPurposeOf,
} from '@tricopy/core';
import pg from 'pg';
import { connectionConfig, LOCK_NAMESPACE } from './pg-pool.js';

/**
 * Job locks for a fleet: a session-level advisory lock on a connection of its own, held for the whole run. It is
 * freed when its holder releases it or when that connection ends: at once for a killed process (its socket is
 * closed), within the TCP keepalive time (about 30 s) for a machine that vanished. A holder whose connection breaks
 * is told through `lost`, and stops its run.
 */
export class PgJobLocks implements CatalogJobLocks {
  readonly #url: string;
  readonly #ready: () => Promise<void>;
  readonly #query: (sql: string, params: unknown[]) => Promise<pg.QueryResult>;

  constructor(
    url: string,
    ready: () => Promise<void>,
    query: (sql: string, params: unknown[]) => Promise<pg.QueryResult>,
  ) {
    this.#url = url;
    this.#ready = ready;
    this.#query = query;
  }

  async acquire(job: string, now: Date, purpose: LockPurpose): Promise<LockAttempt> {
    await this.#ready();
    const where = `catalog lock of job "${job}"`;
    const client = new pg.Client(connectionConfig(this.#url));
    const lost = new AbortController();
    let released = false;
    client.on('error', (error) => {
      if (!released) lost.abort(new Error(`the ${where} was lost: ${error.message}`));
    });
    client.on('end', () => {
      if (!released) lost.abort(new Error(`the ${where} was lost: its database connection ended`));
    });
    try {
      await client.connect();
      await client.query('INSERT INTO job_locks (job) VALUES ($1) ON CONFLICT (job) DO NOTHING', [job]);
      const row = await client.query('SELECT lock_id FROM job_locks WHERE job = $1', [job]);
      const lockId = Number(row.rows[0]?.lock_id);
      const taken = await client.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_NAMESPACE, lockId]);
      if (taken.rows[0]?.ok !== true) {
        const holder = await client.query('SELECT holder, since FROM job_locks WHERE job = $1', [job]);
        released = true;
        await client.end();
        const h = holder.rows[0] as { holder: string | null; since: string | null } | undefined;
        return { acquired: false, path: where, message: heldMessage(job, h) };
      }
      const holder = `${purpose}: pid ${process.pid} on ${hostname()}`;
      await client.query('UPDATE job_locks SET holder = $2, since = $3 WHERE job = $1', [
        job,
        holder,
        now.toISOString(),
      ]);
      return {
        acquired: true,
        lock: {
          path: where,
          lost: lost.signal,
          release: async () => {
            if (released) return;
            released = true;
            await client
              .query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, lockId])
              .catch(() => undefined);
            await client.end().catch(() => undefined);
          },
        },
      };
    } catch (error) {
      released = true;
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  async isAlive(job: string, startedAt: string): Promise<boolean> {
    await this.#ready();
    const result = await this.#query(
      `SELECT l.since FROM job_locks l
       WHERE l.job = $1 AND EXISTS (
         SELECT 1 FROM pg_locks p
         WHERE p.locktype = 'advisory' AND p.granted AND p.classid = $2 AND p.objid = l.lock_id AND p.objsubid = 2
           AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database()))`,
      [job, LOCK_NAMESPACE],
    );
    const since = result.rows[0]?.since as string | undefined;
    return since !== undefined && since <= startedAt;
  }
}

/** The refusal for a lock held by `row.holder`: `PURPOSE: pid N on HOST`, or `pid N on HOST` from an older tricopy. */
function heldMessage(job: string, row: { holder: string | null; since: string | null } | undefined): string {
  if (!row?.holder) return `job "${job}" is already running`;
  const [, purpose, who] = /^(\w+): (.*)$/.exec(row.holder) ?? [undefined, undefined, row.holder];
  return lockHeldMessage(job, { who: who ?? row.holder, since: row.since, purpose: lockPurposeOf(purpose) });
}
