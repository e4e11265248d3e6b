// The 3-2-1 engine under faults, through the real CLI: servers killed mid-upload, stores that mangle uploads.
// Every case counts pg_dump runs: the database is read once per backup, whatever happens to the copies.
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupJson, filesUnder, REPO_ROOT, sha256File, startTricopy, tricopyJson } from './cli.js';
import {
  type ConfigParts,
  dumpCount,
  exists,
  type RemoteEnv,
  remoteConfig,
  s3ObjectPath,
  startRemoteEnv,
} from './remote-env.js';

type Run = BackupJson['runs'][number];
type Copy = Run['copies'][number] & { attempts: number };

let env: RemoteEnv;
const copyOf = (run: Run, destination: string) =>
  run.copies.find((c) => c.destination === destination) as Copy;

/** About 28 MB of barely compressible rows, dumped uncompressed: a long enough upload to kill a server during it. */
const BIG_TABLE = `
CREATE TABLE payload (id int PRIMARY KEY, body text NOT NULL);
INSERT INTO payload
  SELECT g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) || md5((g * 31)::text)
  FROM generate_series(1, 200000) g;
`;
const BIG: ConfigParts = { database: 'big', source: '      compressLevel: 0', job: '    compression: none' };

async function writeConfig(name: string, parts: ConfigParts): Promise<string> {
  const path = join(env.ws.dir, `${name}.yaml`);
  await writeFile(path, remoteConfig(env, parts).replace('./dest/local', `./dest-${name}/local`));
  await mkdir(join(env.ws.dir, `dest-${name}`), { recursive: true });
  return path;
}

async function backup(
  configPath: string,
): Promise<{ code: number; stderr: string; run: Run; dumps: number }> {
  const before = await dumpCount(env);
  const result = await tricopyJson<BackupJson>(['backup', '--config', configPath], {
    cwd: env.ws.dir,
    env: env.env,
  });
  return { ...result, run: result.json.runs[0] as Run, dumps: (await dumpCount(env)) - before };
}

/** Polls until `found()` returns true, then runs `act()`. */
async function when(found: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await found())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Starts a backup, kills a server as soon as `uploading()` sees the copy in flight, and returns the result. */
async function backupKilling(
  configPath: string,
  uploading: () => Promise<boolean>,
  kill: () => Promise<void>,
): Promise<{ code: number; stderr: string; run: Run; dumps: number }> {
  const before = await dumpCount(env);
  const child = startTricopy(['backup', '--json', '--config', configPath], { cwd: env.ws.dir, env: env.env });
  try {
    await when(uploading, 'the upload to start');
    await kill();
  } catch (error) {
    child.kill();
    throw error;
  }
  const result = await child;
  const stdout = String(result.stdout);
  let json: BackupJson;
  try {
    json = JSON.parse(stdout) as BackupJson;
  } catch {
    throw new Error(`backup printed no JSON (exit ${result.exitCode}):\n${stdout}\n${String(result.stderr)}`);
  }
  return {
    code: result.exitCode ?? -1,
    stderr: String(result.stderr),
    run: json.runs[0] as Run,
    dumps: (await dumpCount(env)) - before,
  };
}

/** Temporary files of uploads that died in earlier cases stay on the server; only new ones count. */
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

/** A multipart upload in flight: s3rver has stored at least one part. */
async function s3Uploading(): Promise<boolean> {
  const uploads = join(env.s3.directory, env.s3.bucket, '._S3rver_uploads');
  return (await filesUnder(uploads)).length > 0;
}

beforeAll(async () => {
  env = await startRemoteEnv('engine');
  await env.pg.createDatabase('big');
  await env.pg.sql('big', BIG_TABLE);
});

afterAll(async () => {
  await env?.stop();
});

describe('a server dies mid-upload', () => {
  it('sshd killed and back quickly: the copy is written again from the local copy, one dump', async () => {
    const config = await writeConfig('sftp-restart', BIG);
    const earlier = await sftpTempFiles();
    const result = await backupKilling(
      config,
      () => sftpUploading(earlier),
      async () => {
        await env.sshd.kill();
        await env.sshd.restart();
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.dumps).toBe(1);
    expect(result.run.status).toBe('ok');
    expect(result.run.size).toBeGreaterThan(20_000_000);
    const nas = copyOf(result.run, 'nas');
    expect(nas.status).toBe('verified');
    expect(nas.attempts).toBeGreaterThanOrEqual(2);
    expect(result.stderr).toMatch(/copy on nas written again from destination local and verified/);
    const folder = join(env.sshd.rootDir, 'tricopy/app', result.run.backupId);
    expect(await sha256File(join(folder, 'app.pgdump'))).toBe(result.run.sha256);
    const manifest = JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ dumps: 1, artifact: { sha256: result.run.sha256 } });
    expect(manifest.copies.map((c: { destination: string }) => c.destination).sort()).toEqual([
      'cloud',
      'local',
      'nas',
    ]);
  });

  it('sshd killed for good: degraded (exit 3), the other copies complete, nothing under the final name', async () => {
    const config = await writeConfig('sftp-dead', {
      ...BIG,
      sftp: `    hostKey: ${env.sshd.hostKeyFingerprint}\n    retries: 1\n    connectTimeoutMs: 5000`,
    });
    const earlier = await sftpTempFiles();
    let result: Awaited<ReturnType<typeof backupKilling>>;
    try {
      result = await backupKilling(
        config,
        () => sftpUploading(earlier),
        () => env.sshd.kill(),
      );
    } finally {
      await env.sshd.restart();
    }
    expect(result.code).toBe(3);
    expect(result.dumps).toBe(1);
    expect(result.run.status).toBe('degraded');
    expect(copyOf(result.run, 'nas')).toMatchObject({ status: 'failed' });
    expect(copyOf(result.run, 'nas').error).toMatch(/destination "nas": put .*connection .*lost/);
    expect(copyOf(result.run, 'nas').error).toMatch(/retried 2× from a completed copy: .*connection refused/);
    expect(copyOf(result.run, 'local').status).toBe('verified');
    expect(copyOf(result.run, 'cloud').status).toBe('verified');
    const { backupId } = result.run;
    expect(await sha256File(join(env.ws.dir, 'dest-sftp-dead/local/app', backupId, 'app.pgdump'))).toBe(
      result.run.sha256,
    );
    expect(await sha256File(s3ObjectPath(env.s3, `backups/app/${backupId}/app.pgdump`))).toBe(
      result.run.sha256,
    );
    const onServer = await filesUnder(join(env.sshd.rootDir, 'tricopy/app', backupId));
    expect(onServer.filter((f) => !f.startsWith('.tricopy-tmp-'))).toEqual([]);
  });

  it('s3rver killed for good: degraded (exit 3), nothing under the final key', async () => {
    const config = await writeConfig('s3-dead', { ...BIG, s3: '    partSize: 5242880\n    maxAttempts: 1' });
    let result: Awaited<ReturnType<typeof backupKilling>>;
    try {
      result = await backupKilling(config, s3Uploading, () => env.s3.kill());
    } finally {
      await env.s3.restart();
    }
    expect(result.code).toBe(3);
    expect(result.dumps).toBe(1);
    expect(result.run.status).toBe('degraded');
    expect(copyOf(result.run, 'cloud').status).toBe('failed');
    expect(copyOf(result.run, 'cloud').error).toMatch(
      /destination "cloud": put .*(connection .*lost|refused)/,
    );
    expect(copyOf(result.run, 'local').status).toBe('verified');
    expect(copyOf(result.run, 'nas').status).toBe('verified');
    const { backupId } = result.run;
    expect(await exists(s3ObjectPath(env.s3, `backups/app/${backupId}/app.pgdump`))).toBe(false);
    expect(await exists(s3ObjectPath(env.s3, `backups/app/${backupId}/manifest.json`))).toBe(false);
  });
});

describe('stores that mangle what they are given', () => {
  it('S3 with the SDK checksums on (aws-chunked): a copy either matches byte for byte or is rejected', async () => {
    // Multipart (5 MiB parts) with the SDK's flexible checksums on every request.
    const config = await writeConfig('chunked', {
      ...BIG,
      s3: '    checksumMode: when_supported\n    partSize: 5242880',
    });
    const result = await backup(config);
    expect(result.dumps).toBe(1);
    const cloud = copyOf(result.run, 'cloud');
    const stored = s3ObjectPath(env.s3, `backups/app/${result.run.backupId}/app.pgdump`);
    if (cloud.status === 'verified') {
      // lib-storage buffers parts, so the SDK sends plain bodies: no framing reaches the object.
      expect(result.code).toBe(0);
      expect(await sha256File(stored)).toBe(result.run.sha256);
    } else {
      expect(result.code).toBe(3);
      expect(cloud.error).toMatch(/size|sha256|checksum/);
      expect(await exists(stored)).toBe(false);
    }
  });

  it('a third-party destination that appends bytes or flips a bit: rejected, deleted, degraded', async () => {
    const localPlugin = pathToFileURL(join(REPO_ROOT, 'plugins/destination-local/dist/index.js')).href;
    await writeFile(join(env.ws.dir, 'mangling-destination.mjs'), manglingPlugin(localPlugin));
    const config = await writeConfig('mangled', {
      destinations: ['local', 'appender', 'flipper'],
      extraDestinations: [
        '  appender: { type: ./mangling-destination.mjs, path: ./dest-mangled/appender, mangle: append }',
        '  flipper: { type: ./mangling-destination.mjs, path: ./dest-mangled/flipper, mangle: flip }',
      ].join('\n'),
    });
    const result = await backup(config);
    expect(result.code).toBe(3);
    expect(result.dumps).toBe(1);
    expect(result.run.status).toBe('degraded');
    expect(copyOf(result.run, 'local').status).toBe('verified');
    const appender = copyOf(result.run, 'appender');
    const flipper = copyOf(result.run, 'flipper');
    expect(appender.status).toBe('failed');
    expect(appender.error).toMatch(/size-mismatch/);
    expect(flipper.status).toBe('failed');
    expect(flipper.error).toMatch(/checksum-mismatch/);
    // Written once from the dump and retried from the local copy; each rejected copy was deleted.
    expect(appender.attempts).toBeGreaterThanOrEqual(2);
    expect(flipper.attempts).toBeGreaterThanOrEqual(2);
    for (const name of ['appender', 'flipper']) {
      const folder = join(env.ws.dir, 'dest-mangled', name, 'app', result.run.backupId);
      const left = await readdir(folder).catch(() => [] as string[]);
      expect(left, name).toEqual([]);
    }
  });
});

/** A destination module a third party might write: the built local plugin, with bytes mangled on their way in. */
function manglingPlugin(localPluginUrl: string): string {
  return `
import { Transform } from 'node:stream';
import local from '${localPluginUrl}';

const inner = local.optionsSchema['~standard'];

export default {
  kind: 'destination',
  contractVersion: 1,
  type: 'mangling',
  defaults: { media: 'disk', offsite: false },
  optionsSchema: {
    '~standard': {
      version: 1,
      vendor: 'e2e-mangling',
      async validate(value) {
        const { mangle, ...rest } = value ?? {};
        if (mangle !== 'append' && mangle !== 'flip') return { issues: [{ message: 'append or flip', path: ['mangle'] }] };
        const result = await inner.validate(rest);
        return result.issues ? result : { value: { ...result.value, mangle } };
      },
    },
  },
  async create({ mangle, ...options }, context) {
    const destination = await local.create(options, context);
    return {
      capabilities: destination.capabilities,
      locate: (key) => destination.locate(key),
      get: (key, o) => destination.get(key, o),
      stat: (key) => destination.stat(key),
      list: (prefix) => destination.list(prefix),
      delete: (key) => destination.delete(key),
      close: () => destination.close?.(),
      put(key, body, o) {
        if (key.endsWith('manifest.json')) return destination.put(key, body, o);
        let first = true;
        const mangled = new Transform({
          transform(chunk, _encoding, done) {
            if (mangle === 'flip' && first && chunk.length > 0) {
              chunk = Buffer.from(chunk);
              chunk[chunk.length >> 1] ^= 0x01;
            }
            first = false;
            done(null, chunk);
          },
          flush(done) {
            done(null, mangle === 'append' ? Buffer.from('0\\r\\nx-amz-checksum-crc32:AAAAAA==\\r\\n\\r\\n') : undefined);
          },
        });
        body.on('error', (error) => mangled.destroy(error));
        body.pipe(mangled);
        return destination.put(key, mangled, o);
      },
    };
  },
};
`;
}
