// Two configs (each with its own catalog and locks) back up a job of the same name to the same local, SFTP and S3
// destinations. The second starts, and so sweeps what interrupted runs left, while the first is in the middle of its
// uploads: the sweep must leave the first run's live temporary files and multipart upload alone.
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupJson, filesUnder, payloadTableSql, startTricopy, tricopyJson } from './cli.js';
import { type RemoteEnv, remoteConfig, startRemoteEnv } from './remote-env.js';

const TEMP = '.tricopy-tmp-';

/** About 40 MB of barely compressible rows. */
const BIG_TABLE = payloadTableSql(300000);

let env: RemoteEnv | undefined;
/** While this file exists, config A's pg_dump sends 12 MB of its dump and then waits before sending the rest. */
let holdFile = '';
const remote = () => env as RemoteEnv;

beforeAll(async () => {
  env = await startRemoteEnv('shared');
  const { pg, ws } = env;
  await pg.createDatabase('big');
  await pg.sql('big', BIG_TABLE);
  holdFile = join(ws.dir, 'hold');
  const real = join(pg.binDir, 'pg_dump');
  // dd with fullblock reads exactly 12 MiB from the pipe, so `cat` sends every remaining byte afterwards.
  await writeFile(
    join(ws.dir, 'pg_dump-held'),
    [
      '#!/bin/sh',
      `case " $* " in *" --version "*) exec ${real} "$@" ;; esac`,
      `${real} "$@" | { dd bs=1048576 count=12 iflag=fullblock 2>/dev/null; while [ -f '${holdFile}' ]; do sleep 0.05; done; cat; }`,
      '',
    ].join('\n'),
  );
  await chmod(join(ws.dir, 'pg_dump-held'), 0o755);
  await mkdir(join(ws.dir, 'dest'));
  for (const name of ['a', 'b']) {
    await mkdir(join(ws.dir, name));
    const config = remoteConfig(env, {
      database: 'big',
      source: '      compressLevel: 0',
      s3: '    partSize: 5242880',
      job: '    compression: none\n    retention: { keepLast: 1 }',
      extra: 'catalog: ./catalog.db\nworkDir: ./work',
    })
      .replace('path: ./dest/local', 'path: ../dest/local')
      .replace('pgDumpPath: ./pg_dump', `pgDumpPath: ${name === 'a' ? '../pg_dump-held' : '../pg_dump'}`);
    await writeFile(join(ws.dir, name, 'tricopy.yaml'), config);
  }
}, 180_000);

afterAll(async () => {
  await rm(holdFile, { force: true }).catch(() => undefined);
  await env?.stop();
  await env?.ws.remove();
});

/** The multipart uploads in progress under the job's folder (s3rver does not check signatures). */
async function pendingUploads(): Promise<string[]> {
  const { s3 } = remote();
  const response = await fetch(`${s3.endpoint}/${s3.bucket}?uploads&prefix=backups/app/`);
  const xml = await response.text();
  return [...xml.matchAll(/<UploadId>([^<]+)<\/UploadId>/g)].map((match) => match[1] as string);
}

async function tempFiles(dir: string): Promise<string[]> {
  return (await filesUnder(dir)).filter((file) => file.split('/').pop()?.startsWith(TEMP));
}

/** Until config A's three uploads are all in flight: temp files on disk and SFTP, a multipart upload on S3. */
async function waitForLiveUploads(
  localDir: string,
  sftpDir: string,
  first: ReturnType<typeof startTricopy>,
): Promise<void> {
  let ended = false;
  void first.finally(() => {
    ended = true;
  });
  for (;;) {
    if (ended) {
      const { stdout, stderr } = await first;
      throw new Error(`config A's backup ended before its uploads were all in flight:\n${stdout}\n${stderr}`);
    }
    const [local, sftp, s3] = await Promise.all([tempFiles(localDir), tempFiles(sftpDir), pendingUploads()]);
    if (local.length > 0 && sftp.length > 0 && s3.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('two configs sharing destinations', () => {
  it("the second config's backups and prune leave the first config's live uploads alone; both end ok", async () => {
    const { ws, sshd } = remote();
    const run = (name: string) => ({ cwd: join(ws.dir, name), env: remote().env });
    const localDir = join(ws.dir, 'dest/local');
    const sftpDir = join(sshd.rootDir, 'tricopy');
    await writeFile(holdFile, '');
    const first = startTricopy(['backup', '--json'], run('a'));
    await waitForLiveUploads(localDir, sftpDir, first);
    const liveLocal = await tempFiles(localDir);
    const liveSftp = await tempFiles(sftpDir);
    const liveS3 = await pendingUploads();

    // Config B backs up twice and prunes its first backup (keepLast: 1) while A's uploads are still open.
    for (let round = 0; round < 2; round++) {
      const second = await tricopyJson<BackupJson>(['backup'], run('b'));
      expect(second.code, second.stderr).toBe(0);
      expect(second.json.runs[0]?.status).toBe('ok');
      expect(second.stderr).not.toMatch(/removed what an interrupted run left/);
    }
    const prune = await tricopyJson<{ jobs: { destinations: { removed: unknown[] }[] }[] }>(
      ['prune'],
      run('b'),
    );
    expect(prune.code, prune.stderr).toBe(0);
    expect(prune.json.jobs[0]?.destinations.map((d) => d.removed.length)).toEqual([1, 1, 1]);
    // The first run's uploads are all still there, untouched.
    expect(await tempFiles(localDir)).toEqual(expect.arrayContaining(liveLocal));
    expect(await tempFiles(sftpDir)).toEqual(expect.arrayContaining(liveSftp));
    expect(await pendingUploads()).toEqual(expect.arrayContaining(liveS3));

    await rm(holdFile);
    const done = await first;
    const result = JSON.parse(String(done.stdout)) as BackupJson;
    expect(result.runs[0]?.status, String(done.stderr)).toBe('ok');
    expect(result.runs[0]?.copies.map((copy) => copy.status)).toEqual(['verified', 'verified', 'verified']);
    expect(await tempFiles(localDir)).toEqual([]);
    expect(await tempFiles(sftpDir)).toEqual([]);
    expect(await pendingUploads()).toEqual([]);
  });

  it("a killed run's leftovers survive the other config's runs and go with its own config's next run", async () => {
    const { ws, sshd } = remote();
    const run = (name: string) => ({ cwd: join(ws.dir, name), env: remote().env });
    const localDir = join(ws.dir, 'dest/local');
    const sftpDir = join(sshd.rootDir, 'tricopy');
    await writeFile(holdFile, '');
    const killed = startTricopy(['backup'], run('a'));
    await waitForLiveUploads(localDir, sftpDir, killed);
    killed.kill('SIGKILL');
    await killed;
    await rm(holdFile);
    const left = {
      local: await tempFiles(localDir),
      sftp: await tempFiles(sftpDir),
      s3: await pendingUploads(),
    };
    expect([left.local.length, left.sftp.length, left.s3.length]).toEqual([1, 1, 1]);

    const other = await tricopyJson<BackupJson>(['backup'], run('b'));
    expect(other.json.runs[0]?.status, other.stderr).toBe('ok');
    expect({
      local: await tempFiles(localDir),
      sftp: await tempFiles(sftpDir),
      s3: await pendingUploads(),
    }).toEqual(left);

    const own = await tricopyJson<BackupJson>(['backup'], run('a'));
    expect(own.json.runs[0]?.status, own.stderr).toBe('ok');
    expect(own.stderr.match(/removed what an interrupted run left/g)).toHaveLength(3);
    expect([await tempFiles(localDir), await tempFiles(sftpDir), await pendingUploads()]).toEqual([
      [],
      [],
      [],
    ]);
  });
});
