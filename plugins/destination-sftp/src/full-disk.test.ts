// A full disk on the SFTP server: OpenSSH's sftp-server answers ENOSPC with the generic SSH_FX_FAILURE ("Failure").
// The disk is a real 1 MiB tmpfs mounted under the server's folder (needs root and mount permission; see the note
// in the skip reason otherwise).
import { randomBytes } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { silentLogger, TricopyError } from '@tricopy/contract';
import { type SshdServer, startSshd } from '@tricopy/test-servers';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, { sftpOptionsSchema } from './index.js';

let server: SshdServer;
let small = '';
let mounted = false;

beforeAll(async () => {
  server = await startSshd();
  small = join(server.rootDir, 'small');
  await mkdir(small);
  const mount = await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', small], {
    reject: false,
  });
  mounted = mount.exitCode === 0;
});
afterAll(async () => {
  if (mounted) await execa('umount', [small], { reject: false });
  await server?.stop();
});

describe('sftp destination on a full disk', () => {
  it('says the server refused the write and that the disk may be full, and leaves nothing behind', async (ctx) => {
    if (!mounted) ctx.skip('cannot mount a tmpfs here (needs root): no full disk to test against');
    const options = sftpOptionsSchema.parse({
      host: server.host,
      port: server.port,
      username: server.username,
      privateKey: server.privateKeyPath,
      path: join(small, 'backups'),
      hostKey: server.hostKeyFingerprint,
      retries: 0,
    });
    const destination = await plugin.create(options, {
      name: 'nas',
      configDir: '/',
      workDir: '/tmp',
      logger: silentLogger,
      redact: (text) => text,
    });
    try {
      const error = await destination
        .put('app/b1/db.dump', Readable.from([randomBytes(3 * 1024 * 1024)]))
        .then(
          () => undefined,
          (reason: unknown) => reason,
        );
      expect(TricopyError.isInstance(error), String(error)).toBe(true);
      expect((error as Error).message).toMatch(
        /^destination "nas": put "app\/b1\/db.dump": the server refused the write \(SSH_FX_FAILURE\): the disk on .* may be full or over quota/,
      );
      expect((error as Error).message).not.toContain('\n');
      expect(await readdir(join(small, 'backups'), { recursive: true })).toEqual([]);
    } finally {
      await destination.close?.();
    }
  });
});
