import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Destination } from '@tricopy/contract';
import { bufferBody, expectCode, failingBody, readAll, sha256Hex, testContext } from '@tricopy/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import plugin, { localOptionsSchema, TEMP_PREFIX } from './index.js';

let base = '';
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'tricopy-local-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function makeDestination(path: string, configDir = base, name = 'nas'): Promise<Destination> {
  return plugin.create(localOptionsSchema.parse({ path }), testContext({ name, configDir }));
}

/** Every file and folder under `dir`, relative, including hidden temp files. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe('options', () => {
  it('requires path, defaults fsync to true and refuses unknown keys', () => {
    expect(localOptionsSchema.parse({ path: 'x' })).toEqual({ path: 'x', fsync: true });
    expect(localOptionsSchema.safeParse({}).success).toBe(false);
    expect(localOptionsSchema.safeParse({ path: 'x', fsnyc: false }).success).toBe(false);
  });

  it('declares type local, media disk, not offsite', () => {
    expect(plugin.type).toBe('local');
    expect(plugin.defaults).toEqual({ media: 'disk', offsite: false });
  });

  it('resolves a relative path against the config folder', async () => {
    const destination = await makeDestination('backups');
    const result = await destination.put('app/x.bin', bufferBody(Buffer.from('hello')));
    expect(result.location).toBe(join(base, 'backups', 'app', 'x.bin'));
    expect(destination.locate('app/x.bin')).toBe(join(base, 'backups', 'app', 'x.bin'));
    expect(await readFile(join(base, 'backups', 'app', 'x.bin'), 'utf8')).toBe('hello');
  });
});

describe('files and folders', () => {
  it('creates files 0600 and folders 0700, the root too when its parent exists', async () => {
    const destination = await makeDestination('store');
    await destination.put('a/b/c.bin', bufferBody(Buffer.from('x')));
    expect((await stat(join(base, 'store'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(base, 'store', 'a'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(base, 'store', 'a', 'b'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(base, 'store', 'a', 'b', 'c.bin'))).mode & 0o777).toBe(0o600);
  });

  it('refuses to create the root when its parent is missing (an unmounted disk)', async () => {
    const destination = await makeDestination(join(base, 'not-mounted', 'backups'));
    const error = await expectCode(() => destination.put('k', bufferBody(Buffer.from('x'))), 'DESTINATION');
    expect(error.message).toContain('destination "nas"');
    expect(error.message).toContain(join(base, 'not-mounted'));
    expect(error.message).toContain('does not exist');
    expect(await tree(base)).toEqual([]);
    expect(await destination.stat('k')).toBeUndefined();
    const listed: string[] = [];
    for await (const info of destination.list('')) listed.push(info.key);
    expect(listed).toEqual([]);
  });

  it('says so when the root is a file', async () => {
    await writeFile(join(base, 'file'), 'x');
    const destination = await makeDestination('file');
    const error = await expectCode(() => destination.put('k', bufferBody(Buffer.from('x'))), 'DESTINATION');
    expect(error.message).toMatch(/destination "nas": .*file is not a folder/);
  });

  it('removes the temp file when the body fails, and names the cause', async () => {
    const destination = await makeDestination('store');
    const error = await expectCode(
      () => destination.put('a/broken.bin', failingBody(300_000, new Error('pipe burst'))),
      'DESTINATION',
    );
    expect(error.message).toContain('destination "nas"');
    expect(error.message).toContain('pipe burst');
    expect((await tree(join(base, 'store'))).filter((name) => name.includes(TEMP_PREFIX))).toEqual([]);
  });

  it('rejects what it wrote when it does not match the expected sha256 or size', async () => {
    const destination = await makeDestination('store');
    const bytes = randomBytes(1000);
    const wrongSha = await expectCode(
      () => destination.put('k', bufferBody(bytes), { sha256: sha256Hex(Buffer.from('other')) }),
      'DESTINATION',
    );
    expect(wrongSha.message).toContain('sha256');
    await expectCode(() => destination.put('k', bufferBody(bytes), { size: 999 }), 'DESTINATION');
    expect(await destination.stat('k')).toBeUndefined();
    expect(await tree(join(base, 'store'))).toEqual([]);
    const ok = await destination.put('k', bufferBody(bytes), { sha256: sha256Hex(bytes), size: 1000 });
    expect(ok.sha256).toBe(sha256Hex(bytes));
  });

  it('reserves the temp-file prefix: such keys are invalid', async () => {
    const destination = await makeDestination('store');
    await expectCode(() => destination.put(`a/${TEMP_PREFIX}x`, bufferBody(Buffer.from('x'))), 'INVALID_KEY');
    await expectCode(() => destination.stat(`${TEMP_PREFIX}x`), 'INVALID_KEY');
  });

  it('removes folders that a delete leaves empty, but not the root', async () => {
    const destination = await makeDestination('store');
    await destination.put('app/2026/x', bufferBody(Buffer.from('x')));
    await destination.put('app/keep', bufferBody(Buffer.from('y')));
    await destination.delete('app/2026/x');
    expect(await tree(join(base, 'store'))).toEqual(['app', 'app/keep']);
    await destination.delete('app/keep');
    expect(await tree(join(base, 'store'))).toEqual([]);
    expect((await stat(join(base, 'store'))).isDirectory()).toBe(true);
  });

  it('does not list files whose names are not valid keys, nor temp files', async () => {
    const destination = await makeDestination('store');
    await destination.put('ok', bufferBody(Buffer.from('x')));
    await writeFile(join(base, 'store', 'back\\slash'), 'x');
    await writeFile(join(base, 'store', `${TEMP_PREFIX}leftover`), 'x');
    const keys: string[] = [];
    for await (const info of destination.list('')) keys.push(info.key);
    expect(keys).toEqual(['ok']);
  });
});

describe('symlinks out of the root', () => {
  it('refuses to write, read, stat or delete through them', async () => {
    const outside = join(base, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret'), 'do not touch');
    await mkdir(join(base, 'store'));
    await symlink(outside, join(base, 'store', 'evil'));
    await symlink(join(outside, 'secret'), join(base, 'store', 'link'));
    const destination = await makeDestination('store');

    const putError = await expectCode(
      () => destination.put('evil/new/x', bufferBody(Buffer.from('x'))),
      'DESTINATION',
    );
    expect(putError.message).toContain('outside');
    await expectCode(() => destination.get('evil/secret'), 'DESTINATION');
    await expectCode(() => destination.get('link'), 'DESTINATION');
    await expectCode(() => destination.stat('link'), 'DESTINATION');
    await expectCode(() => destination.delete('evil/secret'), 'DESTINATION');
    expect(await tree(outside)).toEqual(['secret']);
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('do not touch');
    const keys: string[] = [];
    for await (const info of destination.list('')) keys.push(info.key);
    expect(keys).toEqual([]);
  });
});

const isRoot = process.getuid?.() === 0;

/** Mounts a tmpfs (root only); undefined when this machine does not allow it. */
function mountTmpfs(dir: string, options: string): boolean {
  if (!isRoot) return false;
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' }).status === 0;
}

describe('full disk (a real 1 MiB tmpfs)', () => {
  const mountPoint = join(tmpdir(), `tricopy-full-${process.pid}`);
  let mounted = false;
  beforeAll(async () => {
    await mkdir(mountPoint, { recursive: true });
    mounted = mountTmpfs(mountPoint, 'size=1m,mode=0700');
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('rejects with a clear ENOSPC message, removes the temp file and keeps the previous copy', async (ctx) => {
    if (!mounted) ctx.skip('cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)');
    const destination = await makeDestination(mountPoint, base, 'usb');
    const small = randomBytes(1000);
    await destination.put('app/copy', bufferBody(small));
    const error = await expectCode(
      () => destination.put('app/copy', bufferBody(randomBytes(3 * 1024 * 1024))),
      'DESTINATION',
    );
    expect(error.message).toContain('destination "usb"');
    expect(error.message).toContain('disk is full');
    expect(await tree(mountPoint)).toEqual(['app', 'app/copy']);
    expect((await readAll(await destination.get('app/copy'))).equals(small)).toBe(true);
  });
});

describe('read-only file system (a real read-only tmpfs)', () => {
  const mountPoint = join(tmpdir(), `tricopy-ro-${process.pid}`);
  let mounted = false;
  beforeAll(async () => {
    await mkdir(mountPoint, { recursive: true });
    mounted = mountTmpfs(mountPoint, 'size=1m,ro');
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('rejects a put with a clear EROFS message', async (ctx) => {
    if (!mounted) ctx.skip('cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)');
    const destination = await makeDestination(mountPoint, base, 'usb');
    const error = await expectCode(() => destination.put('k', bufferBody(Buffer.from('x'))), 'DESTINATION');
    expect(error.message).toContain('destination "usb"');
    expect(error.message).toContain('read-only');
  });
});

describe('permission denied (run as an unprivileged user)', () => {
  it('rejects a put with a clear EACCES message', async (ctx) => {
    // Root bypasses permission bits, so the put runs in a child process as "nobody" (uid 65534).
    if (!isRoot) ctx.skip('needs root to start a child process as another user');
    const root = join(base, 'root-owned');
    await mkdir(root, { mode: 0o755 });
    await chmod(base, 0o755);
    const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    await lstat(entry); // the package must be built
    const script = `
      const { Readable } = await import('node:stream');
      const plugin = (await import(${JSON.stringify(entry)})).default;
      const ctx = { name: 'shared', configDir: '/', workDir: '/tmp', logger: { debug(){}, info(){}, warn(){}, error(){} }, redact: (t) => t };
      const destination = await plugin.create({ path: ${JSON.stringify(root)}, fsync: true }, ctx);
      try { await destination.put('k', Readable.from([Buffer.from('x')])); console.log('STORED'); }
      catch (error) { console.log(error.code + ' ' + error.message); }
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      cwd: '/',
    });
    expect(child.stderr).toBe('');
    expect(child.stdout).toContain('DESTINATION destination "shared"');
    expect(child.stdout).toContain('permission denied');
    expect(await tree(root)).toEqual([]);
  });
});

describe('sweep', () => {
  it('removes temp files a killed process left under the prefix, older than the given time, and nothing else', async () => {
    const root = join(base, 'store');
    const destination = await makeDestination(root);
    await destination.put('app/b1/db.dump', bufferBody(Buffer.from('kept')));
    const hour = new Date(Date.now() - 3_600_000);
    const old = join(root, 'app', 'b2', `${TEMP_PREFIX}dead`);
    const fresh = join(root, 'app', 'b3', `${TEMP_PREFIX}live`);
    const otherJob = join(root, 'other', `${TEMP_PREFIX}dead`);
    for (const file of [old, fresh, otherJob]) {
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, 'partial');
    }
    await utimes(old, hour, hour);
    await utimes(otherJob, hour, hour);
    const removed = await destination.sweep?.('app/', { olderThan: new Date(Date.now() - 60_000) });
    expect(removed).toEqual([old]);
    expect(await tree(root)).toEqual(
      [
        'app',
        'app/b1',
        'app/b1/db.dump',
        'app/b2',
        'app/b3',
        `app/b3/${TEMP_PREFIX}live`,
        'other',
        `other/${TEMP_PREFIX}dead`,
      ].sort(),
    );
    expect(
      await (await makeDestination(join(base, 'missing'))).sweep?.('app/', { olderThan: new Date() }),
    ).toEqual([]);
  });

  it('removes a fresh temp file only in a folder the engine says is abandoned', async () => {
    const root = join(base, 'store');
    const destination = await makeDestination(root);
    const mine = join(root, 'app', 'b2', `${TEMP_PREFIX}mine`);
    const theirs = join(root, 'app', 'b3', `${TEMP_PREFIX}theirs`);
    for (const file of [mine, theirs]) {
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, 'partial');
    }
    const options = {
      olderThan: new Date(Date.now() - 3_600_000),
      abandoned: (f: string) => f === 'app/b2/',
    };
    expect(await destination.sweep?.('app/', options)).toEqual([mine]);
    expect(await tree(root)).toEqual(['app', 'app/b2', 'app/b3', `app/b3/${TEMP_PREFIX}theirs`]);
  });
});
