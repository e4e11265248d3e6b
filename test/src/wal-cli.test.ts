// `tricopy wal` and `tricopy wal-fetch` through the real CLI against a real PostgreSQL server and local destinations:
// segments stored after pg_switch_wal, the slot acknowledged only once every destination holds them, a killed
// archiver losing nothing, and wal-fetch falling back from a corrupted copy.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import type { ResultPromise } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, startTricopy, tricopy, type Workspace } from './cli.js';
import { postgresSource } from './server-configs.js';

let pg: PostgresServer;
let ws: Workspace;
let archiver: { child: ResultPromise; lines: Record<string, unknown>[] } | undefined;

const SLOT = 'tricopy_pg';
const run = () => ({ cwd: ws.dir, env: { PGPASS_TEST: pg.password } });
const walFolder = (destination: string) => join(ws.dir, 'dest', destination, 'pg', 'wal');

beforeAll(async () => {
  [pg, ws] = await Promise.all([startPostgres(), makeWorkspace('wal')]);
  await pg.createDatabase('shop');
  await mkdir(join(ws.dir, 'dest', 'disk-a'), { recursive: true });
  await mkdir(join(ws.dir, 'dest', 'disk-b'), { recursive: true });
  await ws.writeConfig(
    [
      'destinations:',
      '  disk-a: { type: local, path: ./dest/disk-a }',
      '  disk-b: { type: local, path: ./dest/disk-b }',
      'jobs:',
      '  pg:',
      '    source:',
      postgresSource(pg, 'shop', { settings: { mode: 'base', wal: 'true' } }),
      '    destinations: [disk-a, disk-b]',
      '    compression: zstd',
      'catalog: ./catalog.db',
      'workDir: ./work',
      'retries: { attempts: 1, minDelay: 1ms, maxDelay: 1ms }',
    ].join('\n'),
  );
}, 120_000);

afterEach(async () => {
  await stopArchiver('SIGTERM');
});

afterAll(async () => {
  await pg?.stop();
  await ws?.remove();
});

/** Polls until `ready` holds; the test's timeout ends a wait that never does. */
async function until(ready: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await ready())) await new Promise((resolve) => setTimeout(resolve, 50));
  if (process.env.WAL_TEST_DEBUG)
    process.stderr.write(`[test ${new Date().toISOString()}] ${String(ready)}\n`);
}

async function startArchiver(): Promise<void> {
  const child = startTricopy(['wal', 'pg', '--json'], run());
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) if (part.trim() !== '') lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  archiver = { child, lines };
  if (process.env.WAL_TEST_DEBUG) {
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[wal stderr] ${chunk}`));
    child.stdout?.on('data', (chunk: Buffer) =>
      process.stderr.write(`[wal stdout ${new Date().toISOString()}] ${chunk}`),
    );
  }
  await until(
    async () =>
      (
        await pg.sql(
          'postgres',
          `SELECT count(*) FROM pg_replication_slots WHERE slot_name = '${SLOT}_recv' AND active`,
        )
      ).trim() === '1',
  );
}

/** SIGTERM: the archiver stops cleanly. SIGKILL: it and its pg_receivewal die at once, as systemd kills a unit. */
async function stopArchiver(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (archiver === undefined) return;
  const { child } = archiver;
  archiver = undefined;
  if (signal === 'SIGKILL') {
    const children = await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').catch(() => '');
    for (const pid of children.split(/\s+/).filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
  }
  child.kill(signal);
  const result = await child;
  if (signal === 'SIGTERM') expect(result.exitCode, String(result.stderr)).toBe(0);
}

/** Writes some WAL and closes the segment; returns the name of the segment closed. */
async function closeSegment(rows: number): Promise<string> {
  await pg.sql(
    'shop',
    `CREATE TABLE IF NOT EXISTS t (n int); INSERT INTO t SELECT generate_series(1, ${rows});`,
  );
  const name = (await pg.sql('postgres', 'SELECT pg_walfile_name(pg_current_wal_lsn())')).trim();
  await pg.sql('postgres', 'SELECT pg_switch_wal()');
  return name;
}

const stored = (name: string) => () =>
  archiver?.lines.some((line) => line.event === 'wal-stored' && line.name === name) === true;

/**
 * Whether the acknowledgement slot lets the server recycle `name`: its restart_lsn is in a later segment (+ 1:
 * pg_walfile_name gives the previous segment for an LSN on a boundary).
 */
async function acknowledged(name: string): Promise<boolean> {
  const past = await pg.sql(
    'postgres',
    `SELECT pg_walfile_name(restart_lsn + 1) > '${name}' FROM pg_replication_slots WHERE slot_name = '${SLOT}'`,
  );
  return past.trim() === 't';
}

describe('tricopy wal', () => {
  it('stores each closed segment on every destination and only then acknowledges it', async () => {
    await startArchiver();
    const name = await closeSegment(1000);
    await until(stored(name));
    for (const destination of ['disk-a', 'disk-b']) {
      expect(await readdir(walFolder(destination))).toContain(`${name}.zst`);
    }
    const copy = zstdDecompressSync(await readFile(join(walFolder('disk-a'), `${name}.zst`)));
    expect(copy.length).toBe(16 * 1024 * 1024);
    await until(() => acknowledged(name));
  });

  it('holds the slot while a destination fails, catches it up when it returns, then acknowledges', async () => {
    await startArchiver();
    // disk-b goes away (a file in its place: even root cannot write there), its copies kept aside.
    await rename(join(ws.dir, 'dest', 'disk-b'), join(ws.dir, 'dest', 'disk-b.away'));
    await writeFile(join(ws.dir, 'dest', 'disk-b'), 'not a folder');
    const name = await closeSegment(2000);
    await until(stored(name));
    const line = archiver?.lines.find((l) => l.event === 'wal-stored' && l.name === name);
    expect(line?.destinations).toEqual(['disk-a']);
    // Stored on disk-a only: the segment is not acknowledged, whatever time passes while disk-b is down.
    await closeSegment(10);
    await until(
      () =>
        archiver?.lines.some((l) => l.event === 'wal-caught-up' && l.name === name && l.ok === false) ===
        true,
    );
    expect(await acknowledged(name)).toBe(false);
    await rm(join(ws.dir, 'dest', 'disk-b'));
    await rename(join(ws.dir, 'dest', 'disk-b.away'), join(ws.dir, 'dest', 'disk-b'));
    await until(() => acknowledged(name));
    expect(await readdir(walFolder('disk-b'))).toContain(`${name}.zst`);
  });

  it('killed in the middle of a segment, loses nothing: every segment from the first to the last is stored', async () => {
    await startArchiver();
    const before = await closeSegment(100);
    await until(stored(before));
    await pg.sql('shop', 'INSERT INTO t SELECT generate_series(1, 50000)');
    await stopArchiver('SIGKILL');
    // More than a segment of WAL while nothing receives, and a checkpoint that recycles whatever no slot keeps.
    await pg.sql('shop', 'INSERT INTO t SELECT generate_series(1, 600000)');
    await pg.sql('postgres', 'SELECT pg_switch_wal(); CHECKPOINT;');
    await startArchiver();
    const after = await closeSegment(100);
    await until(stored(after));
    const names = (await readdir(walFolder('disk-a'))).map((file) => file.replace('.zst', '')).sort();
    const numbers = names.map((n) => Number.parseInt(n.slice(16), 16));
    expect(names.at(-1)).toBe(after);
    expect(numbers).toEqual(numbers.map((_, i) => (numbers[0] as number) + i));
    expect(await readdir(walFolder('disk-b'))).toEqual(await readdir(walFolder('disk-a')));
  });
});

describe('tricopy wal-fetch', () => {
  it('checks each copy against the catalog and falls back from a corrupted one', async () => {
    await startArchiver();
    const name = await closeSegment(300);
    await until(stored(name));
    await stopArchiver('SIGTERM');
    const file = join(walFolder('disk-a'), `${name}.zst`);
    const bytes = await readFile(file);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0xff;
    await writeFile(file, bytes);
    const target = join(ws.dir, 'RECOVERYXLOG');
    const fetched = await tricopy(['wal-fetch', '--job', 'pg', name, target], run());
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stderr).toMatch(new RegExp(`^tricopy wal-fetch: ${name} on disk-a skipped: `));
    expect(fetched.stderr.trim().split('\n')).toHaveLength(1);
    const good = zstdDecompressSync(await readFile(join(walFolder('disk-b'), `${name}.zst`)));
    expect((await readFile(target)).equals(good)).toBe(true);

    const missing = await tricopy(['wal-fetch', '--job', 'pg', '0000000100000000000000FE', target], run());
    expect(missing).toMatchObject({ code: 1, stderr: '' });
  });
});
