// `spool: true` through the real CLI: when the only destination dies during the dump, the copy is written again from
// the spool file in the run's work folder instead of reading the database a second time. Without the spool there is
// nothing to retry from, and the run says so.
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupJson, filesUnder, sha256File, startTricopy } from './cli.js';
import { type ConfigParts, dumpCount, type RemoteEnv, remoteConfig, startRemoteEnv } from './remote-env.js';

type Run = BackupJson['runs'][number];
type Copy = Run['copies'][number] & { attempts: number };

let env: RemoteEnv;

/** About 28 MB of barely compressible rows, dumped uncompressed: a long enough upload to kill sshd during it. */
const BIG_TABLE = `
CREATE TABLE payload (id int PRIMARY KEY, body text NOT NULL);
INSERT INTO payload
  SELECT g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) || md5((g * 31)::text)
  FROM generate_series(1, 200000) g;
`;

/** SFTP is the job's only destination; every run gets its own work folder so the spool can be looked for. */
async function writeConfig(name: string, spool: boolean): Promise<{ path: string; workDir: string }> {
  const workDir = join(env.ws.dir, `work-${name}`);
  const parts: ConfigParts = {
    database: 'big',
    source: '      compressLevel: 0',
    job: `    compression: none\n    spool: ${spool}`,
    destinations: ['nas'],
    extra: `workDir: ${workDir}`,
  };
  const path = join(env.ws.dir, `${name}.yaml`);
  await writeFile(
    path,
    remoteConfig(env, parts).replace(
      /^retries: .*$/m,
      'retries: { attempts: 3, minDelay: 300ms, maxDelay: 1s }',
    ),
  );
  await mkdir(workDir, { recursive: true });
  return { path, workDir };
}

async function sftpTempFiles(): Promise<string[]> {
  return (await filesUnder(join(env.sshd.rootDir, 'tricopy'))).filter((f) => f.includes('.tricopy-tmp-'));
}

/** An SFTP upload in flight: a new `.tricopy-tmp-*` file of at least 1 MiB in sshd's folder. */
async function sftpUploading(earlier: string[]): Promise<boolean> {
  const root = join(env.sshd.rootDir, 'tricopy');
  for (const file of await sftpTempFiles()) {
    if (earlier.includes(file)) continue;
    const info = await stat(join(root, file)).catch(() => undefined);
    if (info !== undefined && info.size > 1024 * 1024) return true;
  }
  return false;
}

/** Spool files (`*.spool`) anywhere under the work folder. */
async function spoolFiles(workDir: string): Promise<string[]> {
  return (await filesUnder(workDir)).filter((f) => f.endsWith('.spool'));
}

/**
 * Runs a backup and, as soon as the SFTP upload is in flight, kills sshd and starts it again on the same port.
 * Also reports whether a spool file was seen in the work folder at that moment.
 */
async function backupKillingSshd(config: {
  path: string;
  workDir: string;
}): Promise<{ code: number; stderr: string; run: Run; dumps: number; spoolSeen: boolean }> {
  const before = await dumpCount(env);
  const earlier = await sftpTempFiles();
  const child = startTricopy(['backup', '--json', '--config', config.path], {
    cwd: env.ws.dir,
    env: env.env,
  });
  let spoolSeen = false;
  try {
    const deadline = Date.now() + 60_000;
    while (!(await sftpUploading(earlier))) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the SFTP upload to start');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    spoolSeen = (await spoolFiles(config.workDir)).length > 0;
    await env.sshd.kill();
    await env.sshd.restart();
  } catch (error) {
    child.kill('SIGKILL');
    await child.catch(() => undefined);
    throw error;
  }
  const result = await child;
  let json: BackupJson;
  try {
    json = JSON.parse(String(result.stdout)) as BackupJson;
  } catch {
    throw new Error(`backup printed no JSON (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
  }
  return {
    code: result.exitCode ?? -1,
    stderr: String(result.stderr),
    run: json.runs[0] as Run,
    dumps: (await dumpCount(env)) - before,
    spoolSeen,
  };
}

beforeAll(async () => {
  env = await startRemoteEnv('spool');
  await env.pg.createDatabase('big');
  await env.pg.sql('big', BIG_TABLE);
});

afterAll(async () => {
  await env?.stop();
});

describe('spool: the only destination dies during the dump', () => {
  it('with spool: true the copy is written again from the spool, one dump, and the spool is removed', async () => {
    const config = await writeConfig('spooled', true);
    const result = await backupKillingSshd(config);

    expect(result.code, result.stderr).toBe(0);
    expect(result.dumps).toBe(1);
    expect(result.spoolSeen).toBe(true);
    expect(result.run.status).toBe('ok');
    expect(result.run.size).toBeGreaterThan(20_000_000);
    const nas = result.run.copies[0] as Copy;
    expect(nas).toMatchObject({ destination: 'nas', status: 'verified', sha256: result.run.sha256 });
    expect(nas.attempts).toBeGreaterThanOrEqual(2);
    expect(result.stderr).toMatch(/destination nas failed: .*destination "nas"/);
    expect(result.stderr).toMatch(/copy on nas written again from the spool file and verified/);

    const folder = join(env.sshd.rootDir, 'tricopy/app', result.run.backupId);
    expect(await sha256File(join(folder, 'app.pgdump'))).toBe(result.run.sha256);
    const manifest = JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      dumps: 1,
      artifact: { sha256: result.run.sha256, size: result.run.size },
      copies: [{ destination: 'nas' }],
    });
    // The spool and the run's work folder are gone once the run is over.
    expect(await spoolFiles(config.workDir)).toEqual([]);
    expect(await readdir(config.workDir)).toEqual([]);
  });

  it('without spool: failed (exit 1), the database is not read again, and the message says why', async () => {
    const config = await writeConfig('unspooled', false);
    const result = await backupKillingSshd(config);

    expect(result.code, result.stderr).toBe(1);
    expect(result.dumps).toBe(1);
    expect(result.spoolSeen).toBe(false);
    expect(result.run.status).toBe('failed');
    const nas = result.run.copies[0] as Copy;
    expect(nas.status).toBe('failed');
    expect(nas.error).toMatch(/destination "nas": put .*connection .*lost/);
    expect(result.run.error).toMatch(/every destination failed during the dump/);
    expect(result.run.error).toMatch(/no copy to retry from \(set spool: true/);
    // Nothing under a final name on the server: only the dead upload's temp file.
    const onServer = await filesUnder(join(env.sshd.rootDir, 'tricopy/app', result.run.backupId));
    expect(onServer.filter((f) => !f.startsWith('.tricopy-tmp-'))).toEqual([]);
    expect(await readdir(config.workDir)).toEqual([]);
  });
});
