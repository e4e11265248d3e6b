// `tricopy backup` stopped in the middle of a backup, through the real CLI: SIGKILL (no chance to clean up) and
// SIGTERM (stopped cleanly). Neither may leave a file under a final name on a destination, and the catalog must not
// claim forever that the backup is still running.
import { chmod, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BackupJson,
  filesUnder,
  makeWorkspace,
  payloadTableSql,
  sha256File,
  startTricopy,
  tricopyJson,
  type Workspace,
} from './cli.js';
import { postgresSource } from './server-configs.js';

interface ListJson {
  backups: { backupId: string; job: string; status: string; error: string | null; copies: unknown[] }[];
}
interface PruneJson {
  jobs: { job: string; destinations: { destination: string; foreign: string[]; removed: unknown[] }[] }[];
}

let pg: PostgresServer | undefined;
let ws: Workspace | undefined;
/** While this file exists, the pg_dump wrapper sends the first 6 MB of the dump and then holds the stream open. */
let holdFile = '';

const DESTINATIONS = ['disk-a', 'disk-b'];
const TEMP = '.tricopy-tmp-';

/** About 28 MB of barely compressible rows. */
const BIG_TABLE = payloadTableSql(200000);

const workspace = () => ws as Workspace;
const destFolder = (name: string) => join(workspace().dir, 'dest', name);
const run = () => ({ cwd: workspace().dir, env: { PGPASS_TEST: (pg as PostgresServer).password } });

beforeAll(async () => {
  const [server, w] = await Promise.all([startPostgres(), makeWorkspace('killed')]);
  pg = server;
  ws = w;
  await pg.createDatabase('big');
  await pg.sql('big', BIG_TABLE);
  await mkdir(join(ws.dir, 'dest'));
  holdFile = join(ws.dir, 'hold');
  const wrapper = join(ws.dir, 'pg_dump');
  const real = join(pg.binDir, 'pg_dump');
  // The plugin gives its tools a scrubbed environment, so every path is written into the script.
  await writeFile(
    wrapper,
    [
      '#!/bin/sh',
      `case " $* " in *" --version "*) exec ${real} "$@" ;; esac`,
      `[ -f '${holdFile}' ] || exec ${real} "$@"`,
      `${real} "$@" | head -c 6000000`,
      `while [ -f '${holdFile}' ]; do sleep 0.05; done`,
      'exit 1',
      '',
    ].join('\n'),
  );
  await chmod(wrapper, 0o755);
  await ws.writeConfig(`
destinations:
  disk-a: { type: local, path: ./dest/disk-a }
  disk-b: { type: local, path: ./dest/disk-b, media: usb }
jobs:
  app:
    source:
${postgresSource(pg, 'big', { settings: { pgDumpPath: './pg_dump', compressLevel: 0 } })}
    destinations: [${DESTINATIONS.join(', ')}]
    compression: none
    retention: { keepLast: 5 }
workDir: ./work
retries: { attempts: 2, minDelay: 100ms, maxDelay: 500ms }
`);
});

afterAll(async () => {
  await rm(holdFile, { force: true }).catch(() => undefined);
  await pg?.stop();
  await ws?.remove();
});

async function tempFiles(name: string): Promise<string[]> {
  return (await filesUnder(destFolder(name))).filter((f) => f.split('/').pop()?.startsWith(TEMP));
}

/** Every destination has a new temp file (not one of `earlier`) of more than 1 MiB: the backup is well under way. */
async function uploadsUnderWay(earlier: ReadonlySet<string>): Promise<boolean> {
  for (const name of DESTINATIONS) {
    const fresh = (await tempFiles(name)).filter((f) => !earlier.has(`${name}/${f}`));
    const sizes = await Promise.all(
      fresh.map((f) =>
        stat(join(destFolder(name), f)).then(
          (s) => s.size,
          () => 0,
        ),
      ),
    );
    if (!sizes.some((size) => size > 1024 * 1024)) return false;
  }
  return true;
}

/** Starts `tricopy backup` with the dump held half-way, and sends `signal` once both copies are being written. */
async function backupStoppedBy(signal: 'SIGKILL' | 'SIGTERM') {
  await writeFile(holdFile, '');
  // Temp files an earlier killed run left behind must not pass for this run's.
  const earlier = new Set<string>();
  for (const name of DESTINATIONS) for (const f of await tempFiles(name)) earlier.add(`${name}/${f}`);
  const child = startTricopy(['backup', '--json'], run());
  let ended: { stdout: unknown; stderr: unknown; exitCode?: number } | undefined;
  child.then((result) => {
    ended = result;
  });
  try {
    const deadline = Date.now() + 60_000;
    while (!(await uploadsUnderWay(earlier))) {
      if (ended !== undefined) {
        throw new Error(`backup ended early (exit ${ended.exitCode}):\n${ended.stdout}\n${ended.stderr}`);
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for the copies to be under way');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    process.kill(child.pid as number, signal);
    return await child;
  } finally {
    child.kill('SIGKILL');
    // Lets the held wrapper end.
    await rm(holdFile, { force: true });
    await child.catch(() => undefined);
  }
}

async function list(): Promise<ListJson['backups']> {
  const result = await tricopyJson<ListJson>(['list'], run());
  expect(result.code, result.stderr).toBe(0);
  return result.json.backups;
}

/** Files under final names (not temp files) on every destination. */
async function finalFiles(): Promise<string[]> {
  const all: string[] = [];
  for (const name of DESTINATIONS) {
    for (const f of await filesUnder(destFolder(name))) {
      if (!f.split('/').pop()?.startsWith(TEMP)) all.push(`${name}/${f}`);
    }
  }
  return all.sort();
}

describe('a backup process stopped mid-way', () => {
  it('SIGKILL: only temp files stay behind; the next run marks that backup failed (interrupted) and succeeds', async () => {
    const killed = await backupStoppedBy('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect(String(killed.stdout)).toBe('');

    // Nothing under a final name; the killed copies are temp files only.
    expect(await finalFiles()).toEqual([]);
    for (const name of DESTINATIONS) {
      expect((await tempFiles(name)).length, name).toBeGreaterThan(0);
    }
    const before = await list();
    expect(before).toHaveLength(1);
    const killedId = before[0]?.backupId as string;
    expect(before[0]?.status).not.toBe('ok');
    expect(before[0]?.copies).toEqual([]);

    // The killed process's lock is taken over, its backup marked failed, and this backup completes.
    const second = await tricopyJson<BackupJson>(['backup'], run());
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/took over a stale lock of pid \d+/);
    expect(second.stderr).toContain(`marked 1 unfinished backup(s) failed (interrupted: the process ended`);
    expect(second.stderr).toContain(killedId);
    // ... and the killed run's temp files are swept before this backup starts.
    for (const name of DESTINATIONS) expect(await tempFiles(name), second.stderr).toEqual([]);
    expect(second.stderr).toMatch(/removed what an interrupted run left on "disk-a": .*\.tricopy-tmp-/);
    const ok = second.json.runs[0] as BackupJson['runs'][number];
    expect(ok.status).toBe('ok');
    expect(ok.backupId).not.toBe(killedId);
    for (const name of DESTINATIONS) {
      expect(await sha256File(join(destFolder(name), 'app', ok.backupId, 'app.pgdump'))).toBe(ok.sha256);
    }
    expect(await finalFiles()).toEqual(
      DESTINATIONS.flatMap((d) => [
        `${d}/app/${ok.backupId}/app.pgdump`,
        `${d}/app/${ok.backupId}/manifest.json`,
      ]),
    );

    const after = await list();
    expect(after.map((b) => [b.backupId, b.status]).sort()).toEqual(
      [
        [killedId, 'failed'],
        [ok.backupId, 'ok'],
      ].sort(),
    );
    expect(after.find((b) => b.backupId === killedId)?.error).toBe(
      'interrupted: the process ended before the backup finished',
    );

    // The killed run's temp files are never listed: prune sees no object it does not know.
    const prune = await tricopyJson<PruneJson>(['prune', '--dry-run'], run());
    expect(prune.code, prune.stderr).toBe(0);
    const destinations = prune.json.jobs.flatMap((j) => j.destinations);
    expect(destinations.map((d) => d.destination).sort()).toEqual(DESTINATIONS);
    for (const d of destinations) expect(d.foreign, d.destination).toEqual([]);
    expect(prune.stdout + prune.stderr).not.toContain(TEMP);
  });

  it('SIGTERM: exits non-zero, the backup is recorded failed, nothing is left on the destinations', async () => {
    const backupsBefore = (await list()).map((b) => b.backupId);
    const finalBefore = await finalFiles();
    const workFolder = () => readdir(join(workspace().dir, 'work')).catch(() => [] as string[]);
    const workBefore = await workFolder();
    const tempsBefore = new Map<string, string[]>();
    for (const name of DESTINATIONS) tempsBefore.set(name, await tempFiles(name));

    const stopped = await backupStoppedBy('SIGTERM');
    expect(stopped.signal, String(stopped.stderr)).toBeUndefined();
    expect(stopped.exitCode).toBe(1);
    const json = JSON.parse(String(stopped.stdout)) as BackupJson;
    expect(json.status).toBe('failed');
    const failed = json.runs[0] as BackupJson['runs'][number];
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/interrupted by SIGTERM: the backup was stopped before it finished/);
    expect(backupsBefore).not.toContain(failed.backupId);

    // No final name, and this run's temp files were removed too: no file at all in the backup's folder (the local
    // destination may leave the emptied folder itself).
    expect(await finalFiles()).toEqual(finalBefore);
    for (const name of DESTINATIONS) {
      expect(await tempFiles(name), name).toEqual(tempsBefore.get(name));
      expect(await filesUnder(join(destFolder(name), 'app', failed.backupId)), name).toEqual([]);
    }
    // The lock is released and this run's scratch folder is gone.
    expect(await readdir(join(workspace().dir, '.tricopy', 'locks'))).toEqual([]);
    expect(await workFolder()).toEqual(workBefore);

    const listed = (await list()).find((b) => b.backupId === failed.backupId);
    expect(listed).toMatchObject({ status: 'failed' });
    expect(listed?.error).toMatch(/interrupted by SIGTERM: the backup was stopped before it finished/);
  });
});
