// age encryption through the real CLI: PostgreSQL → local disk + SFTP (real sshd) + S3 (real s3rver). The age
// program opens what tricopy stored, nothing of the database is readable on any destination, the backup host needs
// no identity for backup, deep verify or catalog rebuild, and restores need the right one.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupJson, type CliResult, filesUnder, sha256File, tricopy, tricopyJson } from './cli.js';
import {
  databaseContent,
  databaseExists,
  flipByte,
  type RemoteEnv,
  remoteConfig,
  s3ObjectPath,
  startRemoteEnv,
} from './remote-env.js';

type Run = BackupJson['runs'][number] & { encrypted: boolean; recipients: string[] };

type Rebuilt = { imported: string[]; problems: string[] };
type Listed = { backups: { backupId: string; encrypted: boolean; recipients: string[] }[] };

/** Table names and the database name: each is in a plaintext dump or manifest of this job. */
const PLAINTEXT_MARKS = ['invoice_line', 'playlist_track', 'media_type', 'chinook'];

let env: RemoteEnv;
let original: Record<string, string>;
const outputs: string[] = [];
const keys: Record<'ops' | 'breakGlass' | 'stranger', { file: string; recipient: string }> = {} as never;

async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const result = await tricopy(args, { cwd: env.ws.dir, env: { ...env.env, ...extraEnv } });
  outputs.push(result.stdout, result.stderr);
  return result;
}

async function cliJson<T>(args: string[], extraEnv: Record<string, string> = {}) {
  const result = await tricopyJson<T>(args, { cwd: env.ws.dir, env: { ...env.env, ...extraEnv } });
  outputs.push(result.stdout, result.stderr);
  return result;
}

function ageKeygen(folder: string, name: string): { file: string; recipient: string } {
  const file = join(folder, `${name}.txt`);
  execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
  return { file, recipient: execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim() };
}

/** Every file tricopy's three destinations hold, by where it is. */
async function storedFiles(): Promise<string[]> {
  const roots = [
    join(env.ws.dir, 'dest/local'),
    join(env.sshd.rootDir, 'tricopy'),
    join(env.s3.directory, env.s3.bucket),
  ];
  const files: string[] = [];
  for (const root of roots) files.push(...(await filesUnder(root)).map((f) => join(root, f)));
  return files;
}

/** What restores left in the config's workDir (staged copies are removed on every exit path). */
async function scratchFiles(): Promise<string[]> {
  return filesUnder(join(env.ws.dir, 'work')).catch(() => []);
}

let run: Run;
let artifactKey: string;

beforeAll(async () => {
  env = await startRemoteEnv('encryption');
  const keyDir = join(env.ws.dir, 'keys');
  await mkdir(keyDir);
  keys.ops = ageKeygen(keyDir, 'ops');
  keys.breakGlass = ageKeygen(keyDir, 'break-glass');
  keys.stranger = ageKeygen(keyDir, 'stranger');
  await writeFile(join(env.ws.dir, 'recipients.txt'), `# ops\n${keys.ops.recipient}\n`);
  await env.ws.writeConfig(
    remoteConfig(env, {
      job: `    encryption: { recipientsFile: recipients.txt, recipients: [${keys.breakGlass.recipient}] }`,
      extra: 'policy: { encryption: all }\nworkDir: ./work',
    }),
  );
  await mkdir(join(env.ws.dir, 'dest'));
  original = await databaseContent(env.pg, 'chinook');
});

afterAll(async () => {
  await env?.stop();
});

describe('encrypted backups through the CLI', () => {
  it('backup needs no identity and says it encrypted, to which recipients', async () => {
    const result = await cliJson<BackupJson>(['backup']);
    expect(result.code, result.stderr).toBe(0);
    run = result.json.runs[0] as Run;
    expect(run.status).toBe('ok');
    expect(run.encrypted).toBe(true);
    expect(run.recipients).toEqual([keys.breakGlass.recipient, keys.ops.recipient]);
    const listed = await cliJson<Listed>(['list', '--json']);
    const listedRun = listed.json.backups.find((b) => b.backupId === run.backupId);
    expect(listedRun?.encrypted).toBe(true);
    expect(listedRun?.recipients).toEqual(run.recipients);
    const wide = await cli(['list', '--wide']);
    expect(wide.stdout).toContain(`age to ${keys.breakGlass.recipient}`);
  });

  it('every copy holds the same age file, and the age program alone opens it to the dump', async () => {
    const local = (await filesUnder(join(env.ws.dir, 'dest/local/app', run.backupId))).filter((f) =>
      f.endsWith('.age'),
    );
    expect(local).toHaveLength(1);
    artifactKey = `app/${run.backupId}/${local[0]}`;
    const files = [
      join(env.ws.dir, 'dest/local', artifactKey),
      join(env.sshd.rootDir, 'tricopy', artifactKey),
      s3ObjectPath(env.s3, `backups/${artifactKey}`),
    ];
    for (const file of files) expect(await sha256File(file)).toBe(run.sha256);
    const plain = join(env.ws.dir, 'by-age.dump');
    for (const key of [keys.ops, keys.breakGlass]) {
      execFileSync('age', ['-d', '-i', key.file, '-o', plain, files[2] as string]);
      const manifest = JSON.parse(
        await readFile(join(env.ws.dir, 'dest/local/app', run.backupId, 'manifest.json'), 'utf8'),
      );
      expect(await sha256File(plain)).toBe(manifest.encryption.plaintext.sha256);
      // It is the pg_dump archive itself, piped into zstd by default (pg_dump -Fc -Z0 | zstd).
      expect(local[0]).toMatch(/\.pgdump\.zst\.age$/);
      const archive = `${plain}.pgdump`;
      execFileSync('zstd', ['-d', '-q', '-f', '-o', archive, plain]);
      const toc = execFileSync(join(env.pg.binDir, 'pg_restore'), ['--list', archive], { encoding: 'utf8' });
      expect(toc).toContain('TABLE public invoice_line');
    }
  });

  it('nothing of the database is readable on any destination: no table or database name, no source', async () => {
    const files = await storedFiles();
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const bytes = await readFile(file);
      for (const secret of PLAINTEXT_MARKS) {
        expect(bytes.includes(secret), `${secret} in ${file}`).toBe(false);
      }
    }
  });

  it('verify --deep re-hashes every copy without any identity', async () => {
    const result = await cliJson<{ copies: { destination: string; status: string }[] }>([
      'verify',
      run.backupId,
      '--deep',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json.copies.map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
  });

  it('restore without an identity refuses, naming the recipients; nothing is created', async () => {
    const result = await cli(['restore', run.backupId, '--to-database', 'no_key', '--create-database']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--identity FILE');
    expect(result.stderr).toContain(keys.ops.recipient);
    expect(result.stderr).toContain(keys.breakGlass.recipient);
    expect(await databaseExists(env.pg, 'no_key')).toBe(false);
  });

  it('restore with a wrong identity fails clearly and creates nothing', async () => {
    const result = await cli([
      'restore',
      run.backupId,
      '--to-database',
      'wrong_key',
      '--create-database',
      '--identity',
      keys.stranger.file,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`(${keys.stranger.recipient}) does not open this backup`);
    expect(result.stderr).toContain('nothing was applied');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await databaseExists(env.pg, 'wrong_key')).toBe(false);
    expect(await scratchFiles()).toEqual([]);
  });

  it('restore with the identity (from TRICOPY_IDENTITY_FILE) gives back the database; scratch files are gone', async () => {
    const result = await cli(['restore', run.backupId, '--to-database', 'with_key', '--create-database'], {
      TRICOPY_IDENTITY_FILE: keys.breakGlass.file,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(await databaseContent(env.pg, 'with_key')).toEqual(original);
    expect(await scratchFiles()).toEqual([]);
  });

  it('verify --restore-test compares the row counts sealed in the manifest', async () => {
    const result = await cliJson<{ restoreTests: { status: string; tables: { expected?: number }[] }[] }>([
      'verify',
      run.backupId,
      '--restore-test',
      '--identity',
      keys.ops.file,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const test = result.json.restoreTests[0];
    expect(test?.status).toBe('ok');
    expect(test?.tables.filter((t) => t.expected !== undefined).length).toBeGreaterThan(5);
    const refused = await cli(['verify', run.backupId, '--restore-test']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr + refused.stdout).toContain('--identity FILE');
  });

  it('a flipped ciphertext byte on the cheapest copy: restore skips it and uses the next copy', async () => {
    await flipByte(join(env.ws.dir, 'dest/local', artifactKey));
    const result = await cliJson<{ destination: string; skipped: { destination: string }[] }>([
      'restore',
      run.backupId,
      '--to-database',
      'fallback',
      '--create-database',
      '--identity',
      keys.ops.file,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json.skipped.map((s) => s.destination)).toEqual(['local']);
    expect(result.json.destination).toBe('nas');
    expect(await databaseContent(env.pg, 'fallback')).toEqual(original);
    expect(await scratchFiles()).toEqual([]);
  });

  it('catalog rebuild from the cloud needs no identity and keeps the recipients', async () => {
    await rm(join(env.ws.dir, '.tricopy'), { recursive: true, force: true });
    const rebuilt = await cliJson<Rebuilt>(['catalog', 'rebuild', '--from', 'cloud']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.json.imported).toEqual([run.backupId]);
    const listed = await cliJson<Listed>(['list', '--json']);
    expect(listed.json.backups[0]?.encrypted).toBe(true);
    expect(listed.json.backups[0]?.recipients).toEqual(run.recipients);
    const restored = await cli(
      ['restore', run.backupId, '--from', 'cloud', '--to-database', 'after_rebuild', '--create-database'],
      { TRICOPY_IDENTITY_FILE: keys.ops.file },
    );
    expect(restored.code, restored.stderr).toBe(0);
    expect(await databaseContent(env.pg, 'after_rebuild')).toEqual(original);
  });

  it('no identity ever reaches an output', () => {
    expect(outputs.join('\n')).not.toContain('AGE-SECRET-KEY');
  });
});

describe('policy.encryption', () => {
  it('offsite: a job that would store plaintext on the offsite cloud is a config error naming the key', async () => {
    const path = join(env.ws.dir, 'plain-offsite.yaml');
    await writeFile(path, remoteConfig(env, { extra: 'policy: { encryption: offsite }' }));
    const result = await cli(['check', '--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('jobs.app.encryption: policy.encryption is offsite');
    expect(result.stderr).toContain('plaintext copies on cloud (offsite)');
  });

  it('warn (the default): check and the backup summary say the copies are plaintext', async () => {
    const path = join(env.ws.dir, 'plain.yaml');
    await writeFile(path, `${remoteConfig(env, { destinations: ['local'] })}\ncatalog: ./plain-catalog.db\n`);
    const check = await cli(['check', '--config', path]);
    expect(check.stdout).toMatch(/app\s+WARNING\s+not encrypted/);
    const backup = await cli(['backup', '--config', path]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toContain('app: not encrypted: every copy is plaintext');
    // The marks the encrypted copies were searched for are there in a plaintext one.
    const run = JSON.parse((await cli(['list', '--json', '--config', path])).stdout) as Listed;
    const folder = join(env.ws.dir, 'dest/local/app', run.backups[0]?.backupId as string);
    const stored = Buffer.concat(
      await Promise.all((await filesUnder(folder)).map((f) => readFile(join(folder, f)))),
    );
    for (const mark of PLAINTEXT_MARKS) expect(stored.includes(mark), mark).toBe(true);
  });

  it('an identity file given for a plaintext backup is still read: a wrong path or a malformed file fails now', async () => {
    const path = join(env.ws.dir, 'plain.yaml'); // the plaintext backup of the test above
    const restore = (target: string, identity: string) =>
      cli(
        [
          'restore',
          '--latest',
          '--job',
          'app',
          '--to-database',
          target,
          '--create-database',
          '--config',
          path,
        ],
        { TRICOPY_IDENTITY_FILE: identity },
      );
    const missing = join(env.ws.dir, 'keys', 'typo.txt');
    const typo = await restore('plain_typo', missing);
    expect([typo.code, typo.stderr.trim()]).toEqual([
      2,
      `tricopy: cannot read the identity file ${missing}: ENOENT`,
    ]);
    const malformed = join(env.ws.dir, 'keys', 'malformed.txt');
    await writeFile(malformed, `${keys.ops.recipient}\n`); // a recipient where the identity should be
    const bad = await restore('plain_malformed', malformed);
    expect([bad.code, bad.stderr.trim()]).toEqual([
      2,
      `tricopy: the identity file ${malformed}: key 1 is not an age X25519 identity (AGE-SECRET-KEY-1…)`,
    ]);
    for (const name of ['plain_typo', 'plain_malformed'])
      expect(await databaseExists(env.pg, name)).toBe(false);
    const good = await restore('plain_ok', keys.ops.file);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stderr).toMatch(/backup \S+ is not encrypted: the identity file .*ops\.txt was not needed/);
    expect(await databaseContent(env.pg, 'plain_ok')).toEqual(original);
  });
});
