// PostgreSQL → local disk + SFTP (real sshd) + S3 (real s3rver), through the real CLI: 3-2-1, one read, bytes
// identical everywhere, restore/verify/rebuild from the remote copies, bad credentials, corruption, secrets.
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '@tricopy/test-servers';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BackupJson,
  type CliResult,
  FIXTURES,
  filesUnder,
  sha256File,
  tricopy,
  tricopyJson,
} from './cli.js';
import {
  databaseContent,
  databaseExists,
  dumpCount,
  flipByte,
  type RemoteEnv,
  remoteConfig,
  S3_SECRET,
  s3ObjectPath,
  startRemoteEnv,
} from './remote-env.js';

type Run = BackupJson['runs'][number];
type Copy = Run['copies'][number];

let env: RemoteEnv;
let original: Record<string, string>;
/** Every stdout/stderr of every command of this file, searched for secrets at the end. */
const outputs: string[] = [];

async function cli(args: string[], configPath?: string): Promise<CliResult> {
  const full = configPath === undefined ? args : [...args, '--config', configPath];
  const result = await tricopy(full, { cwd: env.ws.dir, env: env.env });
  outputs.push(result.stdout, result.stderr);
  return result;
}

async function cliJson<T>(args: string[], configPath?: string): Promise<CliResult & { json: T }> {
  const full = configPath === undefined ? args : [...args, '--config', configPath];
  const result = await tricopyJson<T>(full, { cwd: env.ws.dir, env: env.env });
  outputs.push(result.stdout, result.stderr);
  return result;
}

/** A side config with its own catalog and destination folders, so the main catalog's history stays simple. */
async function sideConfig(name: string, yaml: string): Promise<string> {
  const path = join(env.ws.dir, `${name}.yaml`);
  await mkdir(join(env.ws.dir, `dest-${name}`), { recursive: true });
  await writeFile(
    path,
    `${yaml.replace('path: ./dest/local', `path: ./dest-${name}/local`)}\ncatalog: ./${name}-catalog.db\n`,
  );
  return path;
}

async function backup(configPath?: string): Promise<CliResult & { run: Run; dumps: number }> {
  const before = await dumpCount(env);
  const result = await cliJson<BackupJson>(['backup'], configPath);
  const run = result.json.runs[0] as Run;
  return { ...result, run, dumps: (await dumpCount(env)) - before };
}

const copyOf = (run: Run, destination: string) =>
  run.copies.find((c) => c.destination === destination) as Copy;

beforeAll(async () => {
  env = await startRemoteEnv('remote');
  await env.ws.writeConfig(remoteConfig(env));
  await mkdir(join(env.ws.dir, 'dest'));
  original = await databaseContent(env.pg, 'chinook');
});

afterAll(async () => {
  await env?.stop();
});

describe('local + SFTP + S3: a 3-2-1 job through the CLI', () => {
  let first: Run;

  it('check probes every destination for real and reports 3-2-1 complete', async () => {
    const result = await cliJson<{
      ok: boolean;
      destinations: { destination: string; type: string; ok: boolean }[];
      jobs: { job: string; policy: { met: boolean; summary: string } }[];
    }>(['check']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json.ok).toBe(true);
    expect(result.json.destinations.map((d) => [d.destination, d.type, d.ok]).sort()).toEqual([
      ['cloud', 's3', true],
      ['local', 'local', true],
      ['nas', 'sftp', true],
    ]);
    expect(result.json.jobs).toEqual([
      expect.objectContaining({
        job: 'app',
        policy: expect.objectContaining({
          met: true,
          summary: '3 copies of 3; 3 media of 2; 1 offsite of 1',
        }),
      }),
    ]);
    // The probe really went to the store (and was cleaned up).
    expect(await readFile(env.s3.logPath, 'utf8')).toContain('.tricopy-probe');
    expect(await filesUnder(join(env.sshd.rootDir, 'tricopy/.tricopy-probe'))).toEqual([]);
  });

  it('backup --json: one dump, every copy verified, identical bytes on disk, sshd and s3rver', async () => {
    const result = await backup();
    expect(result.code, result.stderr).toBe(0);
    expect(result.dumps).toBe(1);
    // --json: stdout is exactly one JSON document (tricopyJson parsed all of it).
    expect(result.stdout.trim().startsWith('{')).toBe(true);
    first = result.run;
    expect(first.status).toBe('ok');
    expect(first.copies.map((c) => [c.destination, c.status]).sort()).toEqual([
      ['cloud', 'verified'],
      ['local', 'verified'],
      ['nas', 'verified'],
    ]);
    // The default: pg_dump -Fc -Z0, compressed by the engine with zstd.
    const artifact = `app/${first.backupId}/app.pgdump.zst`;
    const localFile = join(env.ws.dir, 'dest/local', artifact);
    const sftpFile = join(env.sshd.rootDir, 'tricopy', artifact);
    const s3File = s3ObjectPath(env.s3, `backups/${artifact}`);
    const localSha = await sha256File(localFile);
    expect(localSha).toBe(first.sha256);
    expect(await sha256File(sftpFile)).toBe(localSha);
    expect(await sha256File(s3File)).toBe(localSha);
    // A plain zstd frame of a custom-format dump: zstd and pg_restore read it without tricopy.
    const listed = await execa('sh', [
      '-c',
      `zstd -dc "$1" | "$2" --list`,
      'sh',
      localFile,
      join(env.pg.binDir, 'pg_restore'),
    ]);
    expect(listed.stdout).toContain('TABLE DATA public track');
    expect(copyOf(first, 'nas').location).toContain(`sftp://`);
    expect(copyOf(first, 'cloud').location).toBe(`s3://${env.s3.bucket}/backups/${artifact}`);

    const manifests = [
      join(env.ws.dir, 'dest/local/app', first.backupId, 'manifest.json'),
      join(env.sshd.rootDir, 'tricopy/app', first.backupId, 'manifest.json'),
      s3ObjectPath(env.s3, `backups/app/${first.backupId}/manifest.json`),
    ];
    for (const path of manifests) {
      const manifest = JSON.parse(await readFile(path, 'utf8'));
      expect(manifest).toMatchObject({
        job: 'app',
        backupId: first.backupId,
        dumps: 1,
        source: { type: 'postgres', engine: 'postgresql' },
        artifact: { key: artifact, size: first.size, sha256: first.sha256, format: 'pg-custom' },
      });
      expect(manifest.copies.map((c: { destination: string }) => c.destination).sort()).toEqual([
        'cloud',
        'local',
        'nas',
      ]);
      expect(manifest.tables.find((t: { name: string }) => t.name === 'public.track')).toMatchObject({
        rows: 3503,
      });
    }
    // Nothing temporary left behind on the SFTP server.
    expect(
      (await filesUnder(join(env.sshd.rootDir, 'tricopy'))).filter((f) => f.includes('.tricopy-tmp')),
    ).toEqual([]);
  });

  it('without --json and without a TTY, prints plain lines and a summary table', async () => {
    const before = await dumpCount(env);
    const result = await cli(['backup']);
    expect(result.code, result.stderr).toBe(0);
    expect(await dumpCount(env)).toBe(before + 1);
    const lines = result.stdout.split('\n');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting the absence of terminal escapes
    expect(result.stdout + result.stderr).not.toMatch(/\u001b\[|\r/);
    const header = lines.find((l) => /^job\s+status\s+size\s+sha256\s+copies\s+policy\s*$/.test(l));
    expect(header, result.stdout).toBeDefined();
    const row = lines.find((l) => l.startsWith('app '));
    expect(row).toMatch(/^app\s+OK\s+.*local:ok nas:ok cloud:ok\s+3-2-1 ok\s*$/);
  });

  it('restore --from nas and --from cloud give back the same database', async () => {
    for (const [from, target] of [
      ['nas', 'from_nas'],
      ['cloud', 'from_cloud'],
    ] as const) {
      const result = await cliJson<{ destination: string }>([
        'restore',
        first.backupId,
        '--from',
        from,
        '--to-database',
        target,
        '--create-database',
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.json.destination).toBe(from);
      expect(await databaseContent(env.pg, target)).toEqual(original);
    }
  });

  it('verify --deep reads every copy (local, SFTP, S3) and finds them intact', async () => {
    const result = await cliJson<{
      ok: boolean;
      copies: { destination: string; status: string; backupId: string }[];
    }>(['verify', first.backupId, '--deep']);
    expect(result.code, result.stderr).toBe(0);
    expect(Object.fromEntries(result.json.copies.map((c) => [c.destination, c.status]))).toEqual({
      local: 'ok',
      nas: 'ok',
      cloud: 'ok',
    });
  });

  it('catalog rebuild --from cloud after losing the catalog, then restore', async () => {
    for (const file of await filesUnder(join(env.ws.dir, '.tricopy'))) {
      if (file.startsWith('catalog.db')) await rm(join(env.ws.dir, '.tricopy', file));
    }
    const rebuilt = await cliJson<{ imported: string[]; problems: string[] }>([
      'catalog',
      'rebuild',
      '--from',
      'cloud',
    ]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.json.imported).toContain(first.backupId);
    expect(rebuilt.json.imported).toHaveLength(2);
    expect(rebuilt.json.problems).toEqual([]);
    const restored = await cli([
      'restore',
      first.backupId,
      '--from',
      'cloud',
      '--to-database',
      'after_rebuild',
      '--create-database',
    ]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await databaseContent(env.pg, 'after_rebuild')).toEqual(original);
  });

  it('a corrupt S3 copy: restore --from cloud refuses it and creates nothing', async () => {
    await flipByte(s3ObjectPath(env.s3, `backups/app/${first.backupId}/app.pgdump.zst`));
    const result = await cli([
      'restore',
      first.backupId,
      '--from',
      'cloud',
      '--to-database',
      'never_created',
      '--create-database',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cloud: copy on cloud does not match the backup/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await databaseExists(env.pg, 'never_created')).toBe(false);
  });

  it('verify --deep names exactly the corrupt copy (exit 3)', async () => {
    const result = await cliJson<{ copies: { destination: string; status: string }[] }>([
      'verify',
      first.backupId,
      '--deep',
    ]);
    expect(result.code).toBe(3);
    expect(Object.fromEntries(result.json.copies.map((c) => [c.destination, c.status]))).toEqual({
      local: 'ok',
      nas: 'ok',
      cloud: 'checksum-mismatch',
    });
  });

  it('restore falls back to a good copy when the cheapest one is corrupt', async () => {
    await flipByte(join(env.ws.dir, 'dest/local/app', first.backupId, 'app.pgdump.zst'));
    const result = await cliJson<{ destination: string; skipped: { destination: string; reason: string }[] }>(
      ['restore', first.backupId, '--to-database', 'fallback', '--create-database'],
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.json.destination).toBe('nas');
    expect(result.json.skipped.map((s) => s.destination)).toEqual(['local']);
    expect(result.json.skipped[0]?.reason).toMatch(/does not match/);
    expect(await databaseContent(env.pg, 'fallback')).toEqual(original);
  });
});

describe('SFTP host keys', () => {
  let unpinned: string;

  beforeAll(async () => {
    unpinned = await sideConfig('unpinned', remoteConfig(env, { sftp: '' }));
  });

  it('check without hostKey prints the server fingerprint and how to pin it', async () => {
    const result = await cli(['check'], unpinned);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(env.sshd.hostKeyFingerprint);
    expect(result.stdout).toContain(`set hostKey: ${env.sshd.hostKeyFingerprint}`);
  });

  it('backup refuses the unpinned SFTP destination; the others complete (exit 3)', async () => {
    const result = await backup(unpinned);
    expect(result.code).toBe(3);
    expect(result.dumps).toBe(1);
    expect(result.run.status).toBe('degraded');
    const nas = copyOf(result.run, 'nas');
    expect(nas.status).toBe('failed');
    expect(nas.error).toMatch(/destination "nas": no host key pinned/);
    expect(nas.error).toContain(`set hostKey: ${env.sshd.hostKeyFingerprint}`);
    expect(copyOf(result.run, 'local').status).toBe('verified');
    expect(copyOf(result.run, 'cloud').status).toBe('verified');
  });

  it('insecureAcceptAnyHostKey: true runs it', async () => {
    const config = await sideConfig(
      'insecure',
      remoteConfig(env, { sftp: '    insecureAcceptAnyHostKey: true' }),
    );
    const result = await backup(config);
    expect(result.code, result.stderr).toBe(0);
    expect(copyOf(result.run, 'nas').status).toBe('verified');
    expect(result.stderr).toMatch(/insecureAcceptAnyHostKey/);
  });

  it('a wrong pinned key is refused with the offered fingerprint', async () => {
    const wrong = 'SHA256:qYiXQFKZ/oxgAsAyagQ0nairycRX1AgJ3Iv9MqmlxHs';
    const config = await sideConfig('wrongkey', remoteConfig(env, { sftp: `    hostKey: ${wrong}` }));
    const result = await backup(config);
    expect(result.code).toBe(3);
    const nas = copyOf(result.run, 'nas');
    expect(nas.status).toBe('failed');
    expect(nas.error).toContain('host key mismatch');
    expect(nas.error).toContain(`server offered ${env.sshd.hostKeyFingerprint}`);
    expect(nas.error).toContain(wrong);
  });
});

describe('bad credentials and unreachable stores fail one copy, with a message saying what to fix', () => {
  const expectDegraded = (result: { code: number; run: Run; dumps: number }, failed: string[]) => {
    expect(result.code).toBe(3);
    expect(result.dumps).toBe(1);
    expect(result.run.status).toBe('degraded');
    for (const copy of result.run.copies) {
      expect([copy.destination, copy.status]).toEqual([
        copy.destination,
        failed.includes(copy.destination) ? 'failed' : 'verified',
      ]);
      if (copy.status === 'failed') {
        expect(copy.error).toContain(`destination "${copy.destination}"`);
        expect(copy.error).not.toContain('\n');
      }
    }
  };

  it('wrong S3 access key id and wrong SFTP key', async () => {
    const otherKey = join(env.ws.dir, 'other_ed25519');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const config = await sideConfig(
      'badcreds',
      remoteConfig(env)
        .replace(env.sshd.privateKeyPath, otherKey)
        .replace(`accessKeyId: ${env.s3.accessKeyId}`, 'accessKeyId: NOT-A-KEY'),
    );
    const result = await backup(config);
    expectDegraded(result, ['nas', 'cloud']);
    expect(copyOf(result.run, 'nas').error).toMatch(/authentication failed .*authorized_keys/);
    expect(copyOf(result.run, 'cloud').error).toMatch(/access key id is not known .*check accessKeyId/);
  });

  it('missing bucket and an SFTP port nobody listens on', async () => {
    const port = await freePort();
    const config = await sideConfig(
      'nobucket',
      remoteConfig(env, { sftp: `    hostKey: ${env.sshd.hostKeyFingerprint}\n    retries: 1` })
        .replace(`bucket: ${env.s3.bucket}`, 'bucket: no-such-bucket')
        .replace(`port: ${env.sshd.port}`, `port: ${port}`),
    );
    const result = await backup(config);
    expectDegraded(result, ['nas', 'cloud']);
    expect(copyOf(result.run, 'nas').error).toMatch(/connection refused .*port/);
    expect(copyOf(result.run, 'cloud').error).toMatch(
      /bucket "no-such-bucket" does not exist .*create it or fix bucket/,
    );
  });

  it('an S3 endpoint nobody listens on', async () => {
    const port = await freePort();
    const config = await sideConfig(
      's3down',
      remoteConfig(env, { s3: '    maxAttempts: 1' }).replace(env.s3.endpoint, `http://127.0.0.1:${port}`),
    );
    const result = await backup(config);
    expectDegraded(result, ['cloud']);
    expect(copyOf(result.run, 'cloud').error).toMatch(/connection refused .*check endpoint/);
  });

  it('check names each unreachable destination', async () => {
    const port = await freePort();
    const config = await sideConfig(
      'checkdown',
      remoteConfig(env).replace(`port: ${env.sshd.port}`, `port: ${port}`),
    );
    const result = await cliJson<{
      ok: boolean;
      destinations: { destination: string; ok: boolean; error?: string }[];
    }>(['check'], config);
    expect(result.code).toBe(1);
    const nas = result.json.destinations.find((d) => d.destination === 'nas');
    expect(nas?.ok).toBe(false);
    expect(nas?.error).toMatch(/destination "nas".*connection refused/);
  });
});

describe('SQLite to the remote destinations', () => {
  it('backs up once to local, SFTP and S3, and restores from each remote copy', async () => {
    await copyFile(join(FIXTURES, 'chinook/Chinook_Sqlite.sqlite'), join(env.ws.dir, 'music.db'));
    const destinations = remoteConfig(env).split('\njobs:')[0] as string;
    const config = await sideConfig(
      'sqlite',
      `${destinations}
jobs:
  music:
    source: { type: sqlite, path: ./music.db }
    destinations: [local, nas, cloud]
    compression: zstd
`,
    );
    const result = await cliJson<BackupJson>(['backup'], config);
    expect(result.code, result.stderr).toBe(0);
    const run = result.json.runs[0] as Run;
    expect(run.copies.map((c) => c.status)).toEqual(['verified', 'verified', 'verified']);
    const artifact = `music/${run.backupId}/music.sqlite.zst`;
    expect(await sha256File(join(env.sshd.rootDir, 'tricopy', artifact))).toBe(run.sha256);
    expect(await sha256File(s3ObjectPath(env.s3, `backups/${artifact}`))).toBe(run.sha256);
    const expected = await sqliteCounts(join(env.ws.dir, 'music.db'));
    expect(expected.Track).toBe(3503);
    for (const from of ['nas', 'cloud']) {
      const target = join(env.ws.dir, `music-from-${from}.db`);
      const restored = await cli(['restore', run.backupId, '--from', from, '--to', target], config);
      expect(restored.code, restored.stderr).toBe(0);
      expect(await sqliteCounts(target)).toEqual(expected);
    }
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

describe('secrets', () => {
  it('the S3 secret key and the PostgreSQL password appear in no output, manifest or catalog', async () => {
    const secrets = [S3_SECRET, env.pg.password];
    expect(outputs.length).toBeGreaterThan(20);
    for (const text of outputs) for (const secret of secrets) expect(text).not.toContain(secret);
    // Every byte tricopy stored: catalogs (all side configs too), manifests and artifacts on every destination.
    const roots = [env.ws.dir, join(env.sshd.rootDir, 'tricopy'), env.s3.directory];
    let catalogs = 0;
    let manifests = 0;
    for (const root of roots) {
      for (const file of await filesUnder(root)) {
        if (/catalog\.db/.test(file)) catalogs++;
        if (file.includes('manifest.json')) manifests++;
        const bytes = await readFile(join(root, file));
        for (const secret of secrets) expect(bytes.includes(secret), `${root}/${file}`).toBe(false);
      }
    }
    expect(catalogs).toBeGreaterThan(5);
    expect(manifests).toBeGreaterThan(10);
  });
});
