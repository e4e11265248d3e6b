import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat as statFile, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import {
  type Destination,
  DestinationError,
  type Logger,
  NotFoundError,
  silentLogger,
  TricopyError,
} from '@tricopy/contract';
import { freePort, makeTempDir, type SshdServer, startSshd } from '@tricopy/test-servers';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import plugin, { fetchHostKeyFingerprint, sftpOptionsSchema, TEMP_PREFIX } from './index.js';

let server: SshdServer;
let folderCounter = 0;
const opened: Destination[] = [];

beforeAll(async () => {
  server = await startSshd();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.close?.()));
});
afterAll(async () => {
  await server?.stop();
});

async function openDestination(
  overrides: Record<string, unknown> = {},
  logger: Logger = silentLogger,
): Promise<{ destination: Destination; root: string }> {
  const root = join(server.rootDir, `case-${++folderCounter}`);
  const options = sftpOptionsSchema.parse({
    host: server.host,
    port: server.port,
    username: server.username,
    privateKey: server.privateKeyPath,
    path: root,
    hostKey: server.hostKeyFingerprint,
    retries: 1,
    ...overrides,
  });
  const created = await plugin.create(options, {
    name: 'nas',
    configDir: '/',
    workDir: '/tmp',
    logger,
    redact: (text) => text,
  });
  opened.push(created);
  return { destination: created, root };
}

async function failure(promise: Promise<unknown>): Promise<TricopyError> {
  try {
    await promise;
  } catch (error) {
    expect(TricopyError.isInstance(error), String(error)).toBe(true);
    return error as TricopyError;
  }
  throw new Error('expected a rejection');
}

/** A body of `total` random bytes in 64 KiB chunks; `onProgress` sees the byte count after each chunk. */
function body(
  total: number,
  onProgress?: (sent: number) => void | Promise<void>,
): Readable & { bytes: Buffer } {
  const bytes = randomBytes(total);
  let sent = 0;
  const stream = new Readable({
    async read() {
      if (sent >= total) return void this.push(null);
      const chunk = bytes.subarray(sent, sent + 65_536);
      sent += chunk.length;
      try {
        await onProgress?.(sent);
      } catch (error) {
        this.destroy(error as Error);
        return;
      }
      this.push(chunk);
    },
  });
  return Object.assign(stream, { bytes });
}

async function filesUnder(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder, { recursive: true })).map(String).sort();
  } catch {
    return [];
  }
}

describe('sftp destination against OpenSSH', () => {
  it('stores a multi-megabyte stream atomically, 0600, byte-identical on disk and through OpenSSH sftp', async () => {
    const { destination, root } = await openDestination();
    const input = body(3 * 1024 * 1024 + 123);
    const result = await destination.put('app/2026/db.sql.gz', input);
    expect(result.size).toBe(input.bytes.length);
    expect(result.location).toBe(
      `sftp://${server.username}@127.0.0.1:${server.port}${root}/app/2026/db.sql.gz`,
    );

    const onDisk = join(root, 'app/2026/db.sql.gz');
    expect((await readFile(onDisk)).equals(input.bytes)).toBe(true);
    expect((await statFile(onDisk)).mode & 0o777).toBe(0o600);
    expect(await filesUnder(root)).toEqual(['app', 'app/2026', 'app/2026/db.sql.gz']);

    const download = await makeTempDir('sftp-get');
    const viaOpenSsh = join(download.path, 'copy');
    await execa(
      'sftp',
      [
        '-b',
        '-',
        '-i',
        server.privateKeyPath,
        '-P',
        String(server.port),
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        `${server.username}@127.0.0.1`,
      ],
      { input: `get ${onDisk} ${viaOpenSsh}\n` },
    );
    expect((await readFile(viaOpenSsh)).equals(input.bytes)).toBe(true);
    await download.remove();

    const readBack = await buffer(await destination.get('app/2026/db.sql.gz'));
    expect(readBack.equals(input.bytes)).toBe(true);
    expect(await destination.stat('app/2026/db.sql.gz')).toMatchObject({
      key: 'app/2026/db.sql.gz',
      size: input.bytes.length,
    });
  });

  it('reads what OpenSSH put there, replaces an existing object, lists by prefix without temp files', async () => {
    const { destination, root } = await openDestination();
    await destination.put('a/one', Readable.from([Buffer.from('first')]));
    await destination.put('a/one', Readable.from([Buffer.from('second version')]));
    expect((await buffer(await destination.get('a/one'))).toString()).toBe('second version');

    await writeFile(join(root, 'a', `${TEMP_PREFIX}left-over`), 'partial');
    await writeFile(join(root, 'a', 'written-by-someone-else'), 'external');
    await destination.put('ab/two', Readable.from([Buffer.from('2')]));
    await destination.put('b/three', Readable.from([Buffer.from('3')]));

    const keys = async (prefix: string): Promise<string[]> => {
      const found: string[] = [];
      for await (const info of destination.list(prefix)) found.push(info.key);
      return found.sort();
    };
    expect(await keys('')).toEqual(['a/one', 'a/written-by-someone-else', 'ab/two', 'b/three']);
    expect(await keys('a/')).toEqual(['a/one', 'a/written-by-someone-else']);
    expect(await keys('a')).toEqual(['a/one', 'a/written-by-someone-else', 'ab/two']);
    expect(await keys('a/o')).toEqual(['a/one']);
    expect(await keys('zzz/')).toEqual([]);
    expect((await buffer(await destination.get('a/written-by-someone-else'))).toString()).toBe('external');

    await destination.delete('a/one');
    await destination.delete('a/one');
    expect(await destination.stat('a/one')).toBeUndefined();
    expect(await failure(destination.get('a/one'))).toBeInstanceOf(NotFoundError);
  });

  it('refuses keys that would escape the root', async () => {
    const { destination } = await openDestination();
    for (const key of ['../escape', '/etc/passwd', 'a/../../x', 'a\\b']) {
      expect((await failure(destination.put(key, Readable.from(['x'])))).code).toBe('INVALID_KEY');
      expect((await failure(destination.stat(key))).code).toBe('INVALID_KEY');
      expect(() => destination.locate(key)).toThrow(/invalid key/);
    }
    expect(await filesUnder(server.rootDir)).not.toContain('escape');
  });

  it('tells failures apart by type and code, not by words in a path (a file named ECONNRESET is no reset)', async () => {
    const warnings: string[] = [];
    const { destination, root } = await openDestination(
      { retries: 2 },
      { ...silentLogger, warn: (message) => void warnings.push(message) },
    );
    await mkdir(root, { recursive: true, mode: 0o700 });
    await writeFile(join(root, 'ECONNRESET'), 'a file, not a folder');
    const error = (await failure(destination.put('ECONNRESET/x', Readable.from(['x'])))) as DestinationError;
    expect(error.message).toContain('ECONNRESET exists and is not a folder');
    expect(error.message).not.toContain('lost');
    expect(error.retryable).toBe(false);
    expect(warnings.filter((w) => w.includes('retrying'))).toEqual([]);
  });

  it('reports a private key that cannot be parsed, before connecting', async () => {
    const keys = await makeTempDir('sftp-bad-key');
    await writeFile(join(keys.path, 'id'), 'not a key\n');
    const { destination } = await openDestination({ privateKey: join(keys.path, 'id') });
    const error = (await failure(destination.stat('k'))) as DestinationError;
    expect(error.message).toContain('cannot use the private key: Cannot parse privateKey');
    expect(error.retryable).toBe(false);
    await keys.remove();
  });

  it('creates its folders 0700, and a missing root only when its parent exists', async () => {
    const { destination, root } = await openDestination();
    await destination.put('app/20261122T020837Z-1/app.sqlite.zst', body(1000));
    for (const folder of [root, join(root, 'app'), join(root, 'app/20261122T020837Z-1')]) {
      expect((await statFile(folder)).mode & 0o777, folder).toBe(0o700);
    }
  });

  it('refuses to create a root whose parent is missing (an unmounted volume), creating nothing', async () => {
    const parent = join(server.rootDir, `unmounted-${++folderCounter}`);
    const { destination } = await openDestination({ path: join(parent, 'volume1/backups') });
    const error = await failure(destination.put('app/1/app.sqlite.zst', body(1000)));
    expect(error.message).toBe(
      `destination "nas": folder ${parent}/volume1/backups does not exist and neither does its parent ${parent}/volume1 on ${server.username}@${server.host}:${server.port} (create it, or mount the volume that holds it)`,
    );
    expect((await readdir(server.rootDir)).filter((name) => name.startsWith('unmounted-'))).toEqual([]);
  });

  it('removes the backup folders a delete leaves empty, never the root', async () => {
    const { destination, root } = await openDestination();
    await destination.put('app/1/app.sqlite.zst', body(1000));
    await destination.put('app/1/manifest.json', body(100));
    await destination.put('app/2/app.sqlite.zst', body(1000));
    await destination.delete('app/1/app.sqlite.zst');
    expect(await filesUnder(root)).toEqual([
      'app',
      'app/1',
      'app/1/manifest.json',
      'app/2',
      'app/2/app.sqlite.zst',
    ]);
    await destination.delete('app/1/manifest.json');
    expect(await filesUnder(root)).toEqual(['app', 'app/2', 'app/2/app.sqlite.zst']);
    await destination.delete('app/2/app.sqlite.zst');
    expect(await filesUnder(root)).toEqual([]);
    expect((await statFile(root)).isDirectory()).toBe(true);
  });

  it('an aborted upload leaves nothing under the key and removes its temporary file', async () => {
    const { destination, root } = await openDestination();
    const controller = new AbortController();
    const input = body(4 * 1024 * 1024, (sent) => {
      if (sent === 1024 * 1024) controller.abort();
    });
    const error = await failure(destination.put('x/aborted', input, { signal: controller.signal }));
    expect(error.message).toMatch(/destination "nas": put "x\/aborted": aborted/);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('a body that fails mid-stream leaves nothing under the key and no temporary file', async () => {
    const { destination, root } = await openDestination();
    const input = body(4 * 1024 * 1024, (sent) => {
      if (sent === 1024 * 1024) throw new Error('dump tool crashed');
    });
    const error = await failure(destination.put('x/broken', input));
    expect(error.message).toContain('dump tool crashed');
    expect(await filesUnder(root)).toEqual([]);
  });

  it('rejects a host key that does not match the pinned one, naming both fingerprints', async () => {
    const pinned = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const { destination } = await openDestination({ hostKey: pinned });
    const error = await failure(destination.stat('anything'));
    expect(error).toBeInstanceOf(DestinationError);
    expect((error as DestinationError).retryable).toBe(false);
    expect(error.message).toContain('destination "nas": host key mismatch');
    expect(error.message).toContain(`server offered ${server.hostKeyFingerprint}`);
    expect(error.message).toContain(`config pins ${pinned}`);
  });

  it('refuses to connect without a pinned host key and says how to pin it', async () => {
    const { destination, root } = await openDestination({ hostKey: undefined });
    const error = await failure(destination.put('k', Readable.from(['data'])));
    expect(error.message).toContain('no host key pinned');
    expect(error.message).toContain(`hostKey: ${server.hostKeyFingerprint}`);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('insecureAcceptAnyHostKey connects without a pin', async () => {
    const { destination } = await openDestination({ hostKey: undefined, insecureAcceptAnyHostKey: true });
    await destination.put('k', Readable.from(['data']));
    expect(await destination.stat('k')).toMatchObject({ size: 4 });
  });

  it('fetchHostKeyFingerprint prints what ssh-keygen -l prints for the host key', async () => {
    expect(await fetchHostKeyFingerprint({ host: server.host, port: server.port })).toBe(
      server.hostKeyFingerprint,
    );
  });

  it('reports an authentication failure for a key the server does not know', async () => {
    const keys = await makeTempDir('sftp-wrong-key');
    const wrongKey = join(keys.path, 'id');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
    const { destination } = await openDestination({ privateKey: wrongKey });
    const error = (await failure(destination.stat('k'))) as DestinationError;
    expect(error.message).toContain(`authentication failed for ${server.username}@127.0.0.1:${server.port}`);
    expect(error.message).toContain('privateKey');
    expect(error.retryable).toBe(false);
    await keys.remove();
  });

  it('reports a missing private key file at create()', async () => {
    const error = await failure(openDestination({ privateKey: '/nonexistent/id_ed25519' }));
    expect(error.message).toMatch(/destination "nas": cannot read privateKey \/nonexistent\/id_ed25519/);
  });

  it('reports a refused connection on a port nobody listens on', async () => {
    const port = await freePort();
    const { destination } = await openDestination({ port });
    const error = (await failure(destination.stat('k'))) as DestinationError;
    expect(error.message).toContain(`connection refused by ${server.username}@127.0.0.1:${port}`);
    expect(error.retryable).toBe(true);
  });

  it('times out on a server that accepts TCP and never speaks SSH', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      const warnings: string[] = [];
      const { destination } = await openDestination(
        { port, connectTimeoutMs: 1_500, retries: 3 },
        { ...silentLogger, warn: (message) => void warnings.push(message) },
      );
      const calls: Array<[string, Promise<unknown>]> = [
        ['stat "k"', destination.stat('k')],
        ['put "db/x"', destination.put('db/x', Readable.from(['data']))],
        ['get "k"', destination.get('k')],
        ['delete "k"', destination.delete('k')],
      ];
      for (const [action, call] of calls) {
        const error = (await failure(call)) as DestinationError;
        expect(error.message).toContain('no SSH handshake');
        expect(error.message).toContain('connectTimeoutMs');
        expect(error.message, action).toMatch(/^destination "nas": connect: /);
        // Not retried inside the plugin (each retry would take connectTimeoutMs again); the engine may.
        expect(error.retryable).toBe(true);
      }
      expect(warnings.filter((w) => w.includes('retrying'))).toEqual([]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('sftp destination when the server dies mid-upload', () => {
  it('rejects clearly, leaves nothing under the key, and lists no temporary file after a restart', async () => {
    const { destination, root } = await openDestination();
    let killed = false;
    const input = body(16 * 1024 * 1024, async (sent) => {
      if (!killed && sent >= 2 * 1024 * 1024) {
        killed = true;
        await server.kill();
      }
    });
    const error = (await failure(destination.put('db/big.dump', input))) as DestinationError;
    expect(error.message).toMatch(/destination "nas": put "db\/big.dump": connection to .* lost/);
    expect(error.retryable).toBe(true);

    await server.restart();
    expect(await filesUnder(root)).not.toContain('db/big.dump');
    const listed: string[] = [];
    for await (const info of destination.list('')) listed.push(info.key);
    expect(listed).toEqual([]);
    expect(await destination.stat('db/big.dump')).toBeUndefined();

    // The same destination reconnects and works again.
    await destination.put('db/after-restart', Readable.from([Buffer.from('ok')]));
    expect((await readFile(join(root, 'db/after-restart'))).toString()).toBe('ok');
  });
});

describe('sftp destination sweep', () => {
  it('removes temp files a killed process left under the prefix, older than the given time, and nothing else', async () => {
    const { destination, root } = await openDestination();
    await destination.put('app/b1/db.dump', Readable.from([Buffer.from('kept')]));
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
    expect(removed).toEqual([`sftp://${server.username}@127.0.0.1:${server.port}${old}`]);
    expect((await filesUnder(root)).sort()).toEqual(
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
    const mine = await destination.sweep?.('app/', { olderThan: hour, abandoned: (f) => f === 'app/b3/' });
    expect(mine).toEqual([`sftp://${server.username}@127.0.0.1:${server.port}${fresh}`]);
  });
});
