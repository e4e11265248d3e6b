import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresCatalog } from './pg-catalog.js';
import { postgresUrl } from './testing/postgres-url.js';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase('locks');
}, 60_000);
afterAll(() => server?.stop());

const open = () => openPostgresCatalog(postgresUrl(server, 'locks'), { now: () => new Date() });

describe('job locks in the PostgreSQL catalog', () => {
  it('one holder at a time across catalogs (machines); free again once released', async () => {
    const [a, b] = [open(), open()];
    try {
      const first = await a.jobLocks?.acquire('app', new Date('2026-12-01T00:00:00.000Z'), 'verify');
      expect(first?.acquired).toBe(true);
      const second = await b.jobLocks?.acquire('app', new Date(), 'backup');
      expect(second).toMatchObject({ acquired: false });
      expect(second?.acquired === false && second.message).toMatch(
        /^job "app" is being verified by pid \d+ on \S+ since 2026-12-01T00:00:00.000Z; try again when it ends$/,
      );
      expect(await b.jobLocks?.isAlive('app', '2026-12-01T00:00:01.000Z')).toBe(true);
      const other = await b.jobLocks?.acquire('other', new Date(), 'backup');
      expect(other?.acquired).toBe(true);
      if (first?.acquired) await first.lock.release();
      expect(await b.jobLocks?.isAlive('app', '2026-12-01T00:00:01.000Z')).toBe(false);
      const again = await b.jobLocks?.acquire('app', new Date(), 'backup');
      expect(again?.acquired).toBe(true);
      for (const held of [other, again]) if (held?.acquired) await held.lock.release();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a holder whose connection is gone (process killed) frees the lock, and learns it lost it', async () => {
    const [a, b] = [open(), open()];
    try {
      const held = await a.jobLocks?.acquire('killed', new Date(), 'backup');
      if (!held?.acquired) throw new Error('not acquired');
      // What the server sees when a worker is SIGKILLed: its connection ends.
      const admin = new pg.Client({ connectionString: postgresUrl(server, 'locks') });
      await admin.connect();
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted`,
      );
      await admin.end();
      await expect.poll(() => held.lock.lost?.aborted).toBe(true);
      await expect.poll(() => b.jobLocks?.isAlive('killed', new Date().toISOString())).toBe(false);
      const again = await b.jobLocks?.acquire('killed', new Date(), 'backup');
      expect(again?.acquired).toBe(true);
      if (again?.acquired) await again.lock.release();
      await held.lock.release();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
