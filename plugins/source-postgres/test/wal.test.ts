import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { WalArchiving } from '@tricopy/contract';
import { makeTempDir, type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresBaseSource } from '../src/index.js';
import { makeSource } from './helpers.js';

let server: PostgresServer;
let dir: string;
let removeDir: () => Promise<void>;

beforeAll(async () => {
  server = await startPostgres();
  const temp = await makeTempDir('pg-wal-test', 0o700);
  dir = temp.path;
  removeDir = temp.remove;
  await server.sql('postgres', `CREATE ROLE plain LOGIN PASSWORD '${server.password}'`);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await removeDir?.();
});

function walOf(overrides: Record<string, unknown> = {}): WalArchiving {
  const source = makeSource(server, dir, {
    mode: 'base',
    wal: true,
    ...overrides,
  }) as unknown as PostgresBaseSource;
  return source.wal as WalArchiving;
}

async function until(ready: () => Promise<boolean>): Promise<void> {
  while (!(await ready())) await new Promise((resolve) => setTimeout(resolve, 50));
}

const restartLsn = async (slot: string) =>
  (
    await server.sql('postgres', `SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = '${slot}'`)
  ).trim();

describe('WAL archiving (wal: true)', () => {
  it('receives completed segments into the spool from the acknowledgement slot, and acknowledges by moving it', async () => {
    const wal = walOf();
    const spool = join(dir, 'spool');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(spool);
    const stop = new AbortController();
    const receiver = await wal.receive(spool, { signal: stop.signal });
    const segment = (await server.sql('postgres', 'SELECT pg_walfile_name(pg_current_wal_lsn())')).trim();
    await server.sql(
      'postgres',
      'CREATE TABLE t AS SELECT generate_series(1, 1000) n; SELECT pg_switch_wal();',
    );
    await until(async () => (await readdir(spool)).includes(segment));
    const files = await readdir(spool);
    expect(files.filter((name) => wal.isComplete(name))).toContain(segment);
    const others = files.filter((name) => !wal.isComplete(name) && !name.startsWith('.'));
    expect(others.every((name) => name.endsWith('.partial'))).toBe(true);
    const before = await restartLsn('tricopy_app');
    await wal.acknowledge(segment);
    const after = await restartLsn('tricopy_app');
    expect(after).not.toBe(before);
    expect(
      (await server.sql('postgres', `SELECT pg_walfile_name('${after}'::pg_lsn + 1) > '${segment}'`)).trim(),
    ).toBe('t');
    // Idempotent: acknowledging it again (or an older one) changes nothing.
    await wal.acknowledge(segment);
    expect(await restartLsn('tricopy_app')).toBe(after);
    stop.abort();
    await receiver.ended;
  });

  it('refuses a role without REPLICATION in one line naming the fix', async () => {
    const wal = walOf({ user: 'plain', wal: { slot: 'plain_slot' } });
    await expect(wal.receive(join(dir, 'none'), { signal: new AbortController().signal })).rejects.toThrow(
      /^source "app": role "plain" lacks the REPLICATION attribute that WAL archiving needs: ALTER ROLE plain REPLICATION/,
    );
  });

  it('reports a receiver that fails by itself with the reason, in one line', async () => {
    const wal = walOf({ wal: { slot: 'gone' } });
    const receiver = await wal.receive(join(dir, 'no-such-folder'), { signal: new AbortController().signal });
    await expect(receiver.ended).rejects.toThrow(
      /^source "app": pg_receivewal exited \(code 1\): .*no-such-folder/,
    );
  });
});

describe('restore points (markRestorePoint)', () => {
  it('counts every table at a named restore point and names the WAL file that holds it', async () => {
    await server.sql('postgres', 'CREATE TABLE marked AS SELECT generate_series(1, 42) n');
    const before = (await server.sql('postgres', 'SELECT pg_walfile_name(pg_current_wal_lsn())')).trim();
    const mark = await walOf().markRestorePoint?.('tricopy-test-point');
    expect(mark?.tables).toContainEqual({ name: 'public.marked', rows: 42, exact: true });
    const after = (
      await server.sql('postgres', 'SELECT pg_walfile_name(pg_current_wal_insert_lsn())')
    ).trim();
    // The point is in a file written since, and that file was closed: writing goes on in a later one.
    expect(mark?.wal && mark.wal >= before && mark.wal < after).toBe(true);
  });

  it('does not keep writers waiting: a table held by an open write makes it give up after its lock timeout', async () => {
    const { default: pg } = await import('pg');
    const writer = new pg.Client({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database: 'postgres',
    });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query('INSERT INTO marked VALUES (43)');
      await expect(walOf().markRestorePoint?.('tricopy-test-held')).rejects.toThrow(/lock timeout/);
    } finally {
      await writer.query('ROLLBACK');
      await writer.end();
    }
  }, 30_000);
});
