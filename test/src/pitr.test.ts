// Issue #24's "Done when", through the real CLI against real servers: rows written at known times; a base backup;
// WAL archived by `tricopy wal app` in the background to local + SFTP + S3; the SFTP server down for a while (the
// archiver keeps going, acknowledgements wait for the policy) and back (the missed files arrive); a restore to a time
// between two writes on a fresh data directory, started with pg_ctl, holds exactly the rows written before it; a
// corrupted WAL copy on one destination is skipped for another; killing the archiver in the middle of a segment loses
// nothing. Every wait polls with a generous deadline; nothing sleeps and then asserts.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type DataDirServer, descendantsOf } from '@tricopy/test-servers';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupJson, sha256File } from './cli.js';
import type { Archiver } from './pitr-archiver.js';
import {
  batchCounts,
  EVENTS_TABLE_SQL,
  slotRestartSegment,
  switchWal,
  targetAfter,
  until,
  writeBatch,
} from './pitr-data.js';
import {
  PITR_DATABASE,
  PITR_DESTINATIONS,
  type PitrDestination,
  type PitrEnv,
  pitrConfig,
  startPitrEnv,
} from './pitr-env.js';
import {
  ACK_SLOT,
  assertArchiverRuns,
  copyOffNas,
  RECV_SLOT,
  recoverToTime,
  restoreAndStart,
  startRestored,
  storedOn,
  waitArchiverStreaming,
  waitStoredEverywhere,
} from './pitr-steps.js';
import { runShellAs } from './pitr-user.js';
import { flipByte } from './remote-env.js';

let env: PitrEnv;
let archiver: Archiver;
const restored: DataDirServer[] = [];
/** pg_receivewal processes of killed archivers, to stop if they outlived them. */
const leftovers: number[] = [];

/** The rows of each batch, and the recovery targets between batches. */
const ROWS = { A: 300, B: 200, C: 100, D: 50, E: 40, F: 30, G: 20 };
const targets: { afterA?: string } = {};
/** The WAL file whose local copy the test corrupts. */
let corrupted = '';

beforeAll(async () => {
  env = await startPitrEnv('pitr');
  await env.pg.sql(PITR_DATABASE, EVENTS_TABLE_SQL);
  await env.ws.write('tricopy.yaml', pitrConfig(env));
});

afterAll(async () => {
  await Promise.allSettled(restored.map((server) => server.stop()));
  for (const pid of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await env?.stop();
});

/** The one file of WAL file `name` in a destination's WAL folder (its extension depends on the compression). */
async function storedFile(destination: PitrDestination, name: string): Promise<string> {
  const folder = env.walFolder(destination, 'app');
  const files = (await readdir(folder)).filter((file) => file.startsWith(`${name}.`));
  expect(files, `${name} in ${folder}`).toHaveLength(1);
  return join(folder, files[0] as string);
}

interface WalVerifyJson {
  wal: {
    job: string;
    ok: boolean;
    checked: number;
    failed: { name: string; destination: string; status: string }[];
  }[];
}

/** `verify --deep` of the job's latest base backup and its WAL archive: the WAL part of the answer. */
async function verifyWal() {
  const result = await env.cliJson<WalVerifyJson>(['verify', '--latest', '--job', 'app', '--deep']);
  const wal = result.json.wal.find((w) => w.job === 'app');
  if (wal === undefined) throw new Error(`verify --json has no WAL part for app:\n${result.stdout}`);
  return { ...result, wal };
}

// Each step polls for up to 2 minutes (until()); the tests' own limit is above that so the poll's message shows.
describe('PostgreSQL point-in-time recovery through the CLI', { timeout: 400_000 }, () => {
  it('starts the archiver, which creates its two slots and streams from the server', async () => {
    archiver = env.archiver('app');
    await waitArchiverStreaming(env, archiver);
  });

  it('takes a base backup to the three destinations, every copy verified', async () => {
    const result = await env.cliJson<BackupJson>(['backup', 'app']);
    expect(result.code, result.stderr).toBe(0);
    const run = result.json.runs[0] as BackupJson['runs'][number];
    expect(run.status).toBe('ok');
    expect(run.copies.map((c) => [c.destination, c.status])).toEqual(
      PITR_DESTINATIONS.map((d) => [d, 'verified']),
    );
  });

  it('archives the WAL of rows written at known times to local + SFTP + S3, and acknowledges it', async () => {
    const afterA = await writeBatch(env.pg, 'A', ROWS.A);
    targets.afterA = await targetAfter(env.pg, afterA);
    await writeBatch(env.pg, 'B', ROWS.B);
    await writeBatch(env.pg, 'C', ROWS.C);
    const segment = await switchWal(env.pg);
    await waitStoredEverywhere(env, archiver, segment);
    expect(archiver.stdout()).toContain(segment);
  });

  it('keeps archiving while the SFTP server is down, holds the acknowledgement, and catches up when it returns', async () => {
    await env.sshd.kill();
    await writeBatch(env.pg, 'D', ROWS.D);
    const first = await switchWal(env.pg);
    await writeBatch(env.pg, 'E', ROWS.E);
    const second = await switchWal(env.pg);
    await until(`${second} on local and cloud while nas is down`, async () => {
      assertArchiverRuns(archiver);
      return (await storedOn(env, 'local', second)) && (await storedOn(env, 'cloud', second));
    });
    expect([await storedOn(env, 'nas', first), await storedOn(env, 'nas', second)]).toEqual([false, false]);
    // The policy wants 3 copies: the server must still retain the first file nas lacks.
    const retained = (await slotRestartSegment(env.pg, ACK_SLOT)) ?? 'none';
    expect(retained <= first, `ack slot retains from ${retained}, past ${first} that nas lacks`).toBe(true);

    await env.sshd.restart();
    await waitStoredEverywhere(env, archiver, second);
    expect(await storedOn(env, 'nas', first)).toBe(true);
    // Every WAL file has a verified copy on each destination, re-read and hashed, and the chain has no gap.
    const verified = await verifyWal();
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.wal).toMatchObject({ job: 'app', ok: true, failed: [] });
    expect(verified.wal.checked).toBeGreaterThanOrEqual(3 * PITR_DESTINATIONS.length);
    const listed = await env.cliJson<{ recovery: { job: string; earliest: string; latest: string }[] }>([
      'list',
    ]);
    const window = listed.json.recovery.find((r) => r.job === 'app');
    expect(Date.parse(window?.earliest ?? '')).toBeLessThan(Date.parse(targets.afterA as string));
    expect(Date.parse(window?.latest ?? '')).toBeGreaterThan(Date.parse(targets.afterA as string));
  });

  it('restores to a time between two writes: pg_ctl start gives exactly the rows written before it', async () => {
    const server = await restoreAndStart(env, restored, 'restored-after-a', [
      '--time',
      targets.afterA as string,
    ]);
    expect(await batchCounts(server.sql)).toEqual({ A: ROWS.A });
    expect(await server.readLog()).toMatch(/recovery stopping before commit of transaction/);
    await server.stop();
  });

  it('restores without tricopy as docs/pitr.md shows: zstd and tar, the WAL files copied, a zstd restore_command', async () => {
    const wal = await copyOffNas(env, 'app.tar.zst');
    const dir = join(env.ws.dir, 'by-hand');
    await runShellAs(
      env.user,
      env.ws,
      `mkdir -m 700 by-hand
zstd -d < app.tar.zst | tar -x -C by-hand
${recoverToTime('by-hand', wal, targets.afterA as string)}`,
    );
    const server = await startRestored(restored, dir);
    expect(await batchCounts(server.sql)).toEqual({ A: ROWS.A });
    await server.stop();
  });

  it('wal-fetch skips a corrupted copy on one destination for another, naming it on stderr', async () => {
    const names = await env.walNames('local', 'app');
    const segment = names.filter((n) => !n.endsWith('.history')).at(-1) as string;
    corrupted = segment;
    await flipByte(await storedFile('local', segment));
    const target = join(await env.ws.mkdir('fetched'), segment);
    const fetched = await env.cli(['wal-fetch', '--job', 'app', segment, target]);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stderr).toContain(segment);
    expect(fetched.stderr).toContain('local');
    const raw = await execa('sh', ['-c', `zstd -d -q -c '${await storedFile('nas', segment)}' | sha256sum`]);
    expect(raw.stdout.split(' ')[0]).toBe(await sha256File(target));
  });

  it('loses nothing when the archiver is killed in the middle of a segment and started again', async () => {
    await writeBatch(env.pg, 'F', ROWS.F);
    const lsn = await env.pg.sql(PITR_DATABASE, 'SELECT pg_current_wal_lsn()');
    // pg_receivewal has received batch F (the write position it reports; it flushes only whole segments), and the
    // segment is still open.
    await until('the receiver to have written batch F', async () => {
      assertArchiverRuns(archiver);
      const out = await env.pg.sql(
        'postgres',
        `SELECT r.write_lsn >= '${lsn}' FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid
         WHERE s.slot_name = '${RECV_SLOT}'`,
      );
      return out === 't';
    });
    leftovers.push(...(await descendantsOf(archiver.pid)).map((p) => p.pid));
    const killed = await archiver.kill();
    expect(killed.signal).toBe('SIGKILL');

    await writeBatch(env.pg, 'G', ROWS.G);
    archiver = env.archiver('app');
    const segment = await switchWal(env.pg);
    await waitStoredEverywhere(env, archiver, segment);

    const server = await restoreAndStart(env, restored, 'restored-latest', ['--latest']);
    expect(await batchCounts(server.sql)).toEqual(ROWS);
    // The restore_command met the corrupted local copy and took another: the server log has its line.
    expect(await server.readLog()).toMatch(new RegExp(`${corrupted}.*local|local.*${corrupted}`));
    await server.stop();
  });

  it('verify --deep finds the corrupted copy, and only it', async () => {
    const verified = await verifyWal();
    expect(verified.code).not.toBe(0);
    expect(verified.wal.failed.map((f) => [f.name, f.destination])).toEqual([[corrupted, 'local']]);
  });

  it('stops cleanly on SIGTERM (exit 0), and no secret appeared in any output', async () => {
    const stopped = await archiver.stop();
    expect(stopped, archiver.stderr()).toEqual({ code: 0, signal: null });
    const everything = env.outputs() + (await Promise.all(restored.map((s) => s.readLog()))).join('\n');
    for (const secret of env.secrets) expect(everything).not.toContain(secret);
  });
});
