// SQLite → local disk + rclone(sftp, a remote of an rclone.conf) + rclone(s3, an inline remote), through the real
// CLI and Debian's real rclone: one backup, every copy cross-checked, restores from each rclone copy, no secret shown.
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type S3Server, type SshdServer, startS3, startSshd } from '@tricopy/test-servers';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BackupJson,
  FIXTURES,
  makeWorkspace,
  sha256File,
  tricopy,
  tricopyJson,
  type Workspace,
} from './cli.js';
import { s3ObjectPath } from './remote-env.js';

/** Given to tricopy only through the environment; searched for in every output. */
const S3_SECRET = 'tc-rclone-s3-secret-8d2e61';

let sshd: SshdServer;
let s3: S3Server;
let ws: Workspace;
const outputs: string[] = [];

async function cli<T>(args: string[]) {
  const result = await tricopyJson<T>(args, { cwd: ws.dir, env: { S3_SECRET } });
  outputs.push(result.stdout, result.stderr);
  return result;
}

/** An rclone.conf with the sftp remote `nas` (key login, host key pinned through known_hosts). */
async function writeRcloneConf(): Promise<string> {
  const hostKey = (await readFile(join(dirname(sshd.rootDir), 'host_ed25519.pub'), 'utf8')).trim();
  const knownHosts = join(ws.dir, 'known_hosts');
  await writeFile(knownHosts, `[${sshd.host}]:${sshd.port} ${hostKey}\n`);
  const path = join(ws.dir, 'rclone.conf');
  await writeFile(
    path,
    [
      '[nas]',
      'type = sftp',
      `host = ${sshd.host}`,
      `port = ${sshd.port}`,
      `user = ${sshd.username}`,
      `key_file = ${sshd.privateKeyPath}`,
      `known_hosts_file = ${knownHosts}`,
      '',
    ].join('\n'),
  );
  return path;
}

beforeAll(async () => {
  [sshd, s3, ws] = await Promise.all([startSshd(), startS3(), makeWorkspace('rclone')]);
  await copyFile(join(FIXTURES, 'chinook/Chinook_Sqlite.sqlite'), join(ws.dir, 'music.db'));
  await writeRcloneConf();
  await ws.writeConfig(`
destinations:
  local: { type: local, path: ./local }
  nas:
    type: rclone
    remote: nas:${sshd.rootDir}/tricopy
    configFile: ./rclone.conf
    media: nas
  cloud:
    type: rclone
    backend:
      type: s3
      provider: Other
      endpoint: ${s3.endpoint}
      region: ${s3.region}
      access_key_id: ${s3.accessKeyId}
      secret_access_key: \${S3_SECRET}
      force_path_style: true
    path: ${s3.bucket}/backups
jobs:
  music:
    source: { type: sqlite, path: ./music.db }
    destinations: [local, nas, cloud]
    compression: zstd
retries: { attempts: 2, minDelay: 200ms, maxDelay: 1s }
`);
});

afterAll(async () => {
  await Promise.allSettled([sshd?.stop(), s3?.stop(), ws?.remove()]);
});

describe('rclone destinations through the CLI', () => {
  let run: BackupJson['runs'][number];

  it('check probes the two rclone destinations and finds them writable', async () => {
    const result = await cli<{ ok: boolean; destinations: { destination: string; ok: boolean }[] }>([
      'check',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json.destinations.map((d) => [d.destination, d.ok])).toEqual([
      ['local', true],
      ['nas', true],
      ['cloud', true],
    ]);
  });

  it('backs up once to local + rclone(sftp) + rclone(s3): every copy verified, the same bytes everywhere', async () => {
    const result = await cli<BackupJson>(['backup']);
    expect(result.code, result.stderr).toBe(0);
    run = result.json.runs[0] as BackupJson['runs'][number];
    expect(run.status).toBe('ok');
    expect(run.copies.map((c) => [c.destination, c.status])).toEqual([
      ['local', 'verified'],
      ['nas', 'verified'],
      ['cloud', 'verified'],
    ]);
    const artifact = `music/${run.backupId}/music.sqlite.zst`;
    expect(run.copies.find((c) => c.destination === 'nas')?.location).toBe(
      `nas:${sshd.rootDir}/tricopy/${artifact}`,
    );
    expect(run.copies.find((c) => c.destination === 'cloud')?.location).toBe(
      `s3:${s3.bucket}/backups/${artifact}`,
    );
    expect(await sha256File(join(sshd.rootDir, 'tricopy', artifact))).toBe(run.sha256);
    expect(await sha256File(s3ObjectPath(s3, `backups/${artifact}`))).toBe(run.sha256);
  });

  it('list --json shows the three copies verified, and verify --deep re-hashes each through rclone', async () => {
    const listed = await cli<{
      backups: { backupId: string; copies: { destination: string; status: string }[] }[];
    }>(['list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const backup = listed.json.backups.find((b) => b.backupId === run.backupId);
    expect(backup?.copies.map((c) => [c.destination, c.status]).sort()).toEqual([
      ['cloud', 'verified'],
      ['local', 'verified'],
      ['nas', 'verified'],
    ]);
    const verified = await cli<{ copies: { destination: string; status: string }[] }>([
      'verify',
      run.backupId,
      '--deep',
    ]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.json.copies.map((c) => [c.destination, c.status]).sort()).toEqual([
      ['cloud', 'ok'],
      ['local', 'ok'],
      ['nas', 'ok'],
    ]);
  });

  it('restores from each rclone copy', async () => {
    const expected = await sqliteCounts(join(ws.dir, 'music.db'));
    expect(expected.Track).toBe(3503);
    for (const from of ['nas', 'cloud']) {
      const target = join(ws.dir, `music-from-${from}.db`);
      const restored = await tricopy(['restore', run.backupId, '--from', from, '--to', target], {
        cwd: ws.dir,
        env: { S3_SECRET },
      });
      outputs.push(restored.stdout, restored.stderr);
      expect(restored.code, restored.stderr).toBe(0);
      expect(await sqliteCounts(target)).toEqual(expected);
    }
  });

  it('the S3 secret appears in no output', () => {
    expect(outputs.length).toBeGreaterThan(5);
    for (const output of outputs) expect(output).not.toContain(S3_SECRET);
  });
});

/** Row counts per table, read with the sqlite3 command-line tool (not tricopy). */
async function sqliteCounts(path: string): Promise<Record<string, number>> {
  const { stdout: names } = await execa('sqlite3', [
    path,
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  ]);
  const counts: Record<string, number> = {};
  for (const name of names.split('\n').filter(Boolean)) {
    const { stdout } = await execa('sqlite3', [path, `SELECT count(*) FROM "${name}"`]);
    counts[name] = Number(stdout.trim());
  }
  return counts;
}
