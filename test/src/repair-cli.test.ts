import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupJson, filesUnder, sha256File, tricopy, tricopyJson } from './cli.js';
import {
  dumpCount,
  exists,
  flipByte,
  type RemoteEnv,
  remoteConfig,
  s3ObjectPath,
  startRemoteEnv,
} from './remote-env.js';

interface RepairJson {
  dryRun: boolean;
  result: string;
  backups: {
    backupId: string;
    result: string;
    skipped?: string;
    copies: { destination: string; status: string; reason: string; error?: string }[];
    policy?: { met: boolean; summary: string };
  }[];
}

interface ListJson {
  backups: {
    backupId: string;
    state: string;
    prunedAt: string | null;
    policy: { met: boolean };
    copies: { destination: string; status: string }[];
  }[];
}

let env: RemoteEnv;
const run = () => ({ cwd: env.ws.dir, env: env.env });
const statuses = (b: RepairJson['backups'][number] | undefined) =>
  Object.fromEntries((b?.copies ?? []).map((c) => [c.destination, c.status]));

async function backup(): Promise<BackupJson['runs'][number]> {
  const result = await tricopyJson<BackupJson>(['backup'], run());
  expect(result.code, result.stderr).toBe(0);
  const made = result.json.runs[0] as BackupJson['runs'][number];
  const local = made.copies.find((c) => c.destination === 'local')?.location ?? '';
  artifactName = basename(local);
  return made;
}

/** The key the backup's artifact is stored under (its extension depends on the compression chosen). */
let artifactName = 'app.pgdump';

/** Where each destination keeps a file of a backup on this machine. */
function storedFiles(
  backupId: string,
  destinations = ['local', 'nas', 'cloud'],
  name = artifactName,
): Record<string, string> {
  const key = `app/${backupId}/${name}`;
  const paths: Record<string, string> = {
    local: join(env.ws.dir, 'dest/local', key),
    nas: join(env.sshd.rootDir, 'tricopy', key),
    cloud: s3ObjectPath(env.s3, `backups/${key}`),
    spare: join(env.ws.dir, 'dest/spare', key),
  };
  return Object.fromEntries(destinations.map((d) => [d, paths[d] as string]));
}

beforeAll(async () => {
  env = await startRemoteEnv('repair');
  await mkdir(join(env.ws.dir, 'dest'));
  await env.ws.writeConfig(remoteConfig(env));
}, 120_000);
afterAll(() => env?.stop());

describe('tricopy repair against real servers (PostgreSQL, sshd, s3rver)', () => {
  it('a copy deleted and another corrupted: back to three verified copies byte-identical to the good one', async () => {
    const first = await backup();
    const files = storedFiles(first.backupId);
    await rm(files.local as string);
    // Same size, one byte flipped: a stat check cannot see it; the copy is tried as a source, found bad, repaired.
    await flipByte(files.nas as string);
    const dumpsBefore = await dumpCount(env);

    const dry = await tricopyJson<RepairJson>(['repair', first.backupId, '--dry-run'], run());
    expect(dry.code, dry.stderr).toBe(0);
    expect(statuses(dry.json.backups[0])).toEqual({ local: 'would-repair', nas: 'good', cloud: 'good' });
    expect(await exists(files.local as string)).toBe(false);

    const repaired = await tricopyJson<RepairJson>(['repair', first.backupId], run());
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(statuses(repaired.json.backups[0])).toEqual({ local: 'repaired', nas: 'repaired', cloud: 'good' });
    expect(repaired.json.backups[0]?.policy?.met).toBe(true);
    expect(repaired.stderr).toContain('does not match the backup');
    for (const [name, file] of Object.entries(files)) {
      expect(await sha256File(file), name).toBe(first.sha256);
    }
    expect(await dumpCount(env)).toBe(dumpsBefore); // never the database

    const deep = await tricopyJson<{ ok: boolean; copies: { status: string }[] }>(
      ['verify', first.backupId, '--deep'],
      run(),
    );
    expect(deep.code, deep.stderr).toBe(0);
    expect(deep.json.copies.map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
    const list = await tricopyJson<ListJson>(['list', '--job', 'app', '--all'], run());
    const row = list.json.backups.find((b) => b.backupId === first.backupId);
    expect(row?.state).toBe('ok');
    expect(row?.copies.map((c) => c.status)).toEqual(['verified', 'verified', 'verified']);
    expect(row?.policy.met).toBe(true); // the 3-2-1 status follows
  });

  it('repairs what verify --deep found corrupt, and says so when there is nothing to do', async () => {
    const second = await backup();
    await flipByte(storedFiles(second.backupId).cloud as string);
    const deep = await tricopy(['verify', second.backupId, '--deep'], run());
    expect(deep.code).toBe(3);
    const repaired = await tricopyJson<RepairJson>(['repair', '--latest', '--job', 'app'], run());
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(statuses(repaired.json.backups[0])).toEqual({ local: 'good', nas: 'good', cloud: 'repaired' });
    expect(await sha256File(storedFiles(second.backupId).cloud as string)).toBe(second.sha256);
    const again = await tricopy(['repair', second.backupId], run());
    expect(again.code, again.stderr).toBe(0);
    // Compact: one line for a backup whose every copy is good.
    expect(again.stdout.trim()).toMatch(
      new RegExp(`^backup ${second.backupId} \\(job app\\): ok; [^\\n]*; good: (\\w+, ){2}\\w+$`),
    );
  });

  it('--backfill fills a destination added to the job, newest first, within its retention', async () => {
    const third = await backup();
    await env.ws.writeConfig(
      remoteConfig(env, {
        destinations: ['local', 'nas', 'cloud', 'spare'],
        extraDestinations: '  spare: { type: local, path: ./dest/spare, media: removable }',
        job: '    retention: { keepLast: 2 }',
      }),
    );
    const plain = await tricopyJson<RepairJson>(['repair', '--all'], run());
    expect(plain.code, plain.stderr).toBe(0);
    expect(await filesUnder(join(env.ws.dir, 'dest/spare'))).toEqual([]);
    expect(plain.json.backups[0]?.copies.find((c) => c.destination === 'spare')?.reason).toContain(
      '--backfill',
    );

    const filled = await tricopyJson<RepairJson>(['repair', '--all', '--backfill'], run());
    expect(filled.code, filled.stderr).toBe(0);
    const spare = filled.json.backups.map((b) => [b.backupId, statuses(b).spare]);
    expect(spare).toHaveLength(3);
    expect(spare[0]?.[1]).toBe('backfilled'); // the newest
    expect(spare[1]?.[1]).toBe('backfilled');
    expect(spare[2]?.[1]).toBe('skipped'); // keepLast 2: the oldest is outside the retention
    expect(spare[0]?.[0]).toBe(third.backupId);
    const [newest] = filled.json.backups;
    expect(await sha256File(storedFiles(third.backupId, ['spare']).spare as string)).toBe(third.sha256);
    expect(await exists(join(env.ws.dir, 'dest/spare/app', newest?.backupId ?? '', 'manifest.json'))).toBe(
      true,
    );
    const deep = await tricopy(['verify', '--latest', '--deep'], run());
    expect(deep.code, deep.stdout + deep.stderr).toBe(0);
  });

  it('forget removes one backup everywhere and refuses the newest verified one', async () => {
    const list = await tricopyJson<ListJson>(['list', '--job', 'app', '--all'], run());
    const ids = list.json.backups.filter((b) => b.prunedAt === null).map((b) => b.backupId);
    const newest = ids[0] as string;
    const oldest = ids[ids.length - 1] as string;

    const refused = await tricopy(['forget', newest], run());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`backup ${newest} is the newest verified backup of job app`);
    expect(refused.stderr).toContain('--force');

    const dry = await tricopy(['forget', oldest, '--dry-run'], run());
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('dry run: nothing was removed');
    expect(await exists(storedFiles(oldest).local as string)).toBe(true);

    const forgotten = await tricopyJson<{ ok: boolean; forgotten: boolean; removed: { status: string }[] }>(
      ['forget', oldest],
      run(),
    );
    expect(forgotten.code, forgotten.stderr).toBe(0);
    expect(forgotten.json.forgotten).toBe(true);
    expect(forgotten.json.removed.map((r) => r.status)).toEqual(['deleted', 'deleted', 'deleted']);
    for (const [name, file] of Object.entries(storedFiles(oldest)))
      expect(await exists(file), name).toBe(false);
    for (const [name, file] of Object.entries(storedFiles(oldest, undefined, 'manifest.json')))
      expect(await exists(file), `${name} manifest`).toBe(false);
    const after = await tricopyJson<ListJson>(['list', '--job', 'app', '--all'], run());
    expect(after.json.backups.find((b) => b.backupId === oldest)?.prunedAt).not.toBeNull();
  });
});
