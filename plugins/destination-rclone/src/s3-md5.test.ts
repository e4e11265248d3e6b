// On an S3 remote rclone reports an MD5 (no SHA-256): put compares it with the bytes it sent.
import { createHash } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type DestinationError, TricopyError } from '@tricopy/contract';
import { makeTempDir, type S3Server, startS3 } from '@tricopy/test-servers';
import { testContext } from '@tricopy/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, { rcloneOptionsSchema } from './index.js';
import { s3Backend } from './test-support/remotes.js';

let server: S3Server;
let folder: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  [server, folder] = await Promise.all([startS3(), makeTempDir('rclone-s3-md5')]);
});
afterAll(async () => {
  await Promise.allSettled([server?.stop(), folder?.remove()]);
});

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

describe('rclone destination on an S3 remote', () => {
  it('declares no stored SHA-256, and fails a put whose stored MD5 is not that of the bytes sent', async () => {
    // An rclone whose rcat stores other bytes of the same length.
    const rclone = join(folder.path, 'rclone-corrupting');
    await writeFile(
      rclone,
      '#!/bin/sh\nif [ "$1" = rcat ]; then tr a b | rclone "$@"; else exec rclone "$@"; fi\n',
    );
    await chmod(rclone, 0o755);
    const options = rcloneOptionsSchema.parse({
      backend: s3Backend(server),
      path: `${server.bucket}/md5`,
      rclone,
    });
    const destination = await plugin.create(options, testContext({ name: 'cloud' }));
    expect(destination.capabilities).toEqual({});

    const error = await destination.put('app/1/db.sql', Readable.from([Buffer.from('aaaa')])).catch((e) => e);
    expect(TricopyError.isInstance(error)).toBe(true);
    expect((error as DestinationError).message).toBe(
      `destination "cloud": put "app/1/db.sql": the uploaded object has md5 ${md5('bbbb')}, expected ${md5('aaaa')}: ` +
        'nothing was stored',
    );
    expect(await destination.stat('app/1/db.sql')).toBeUndefined();
    const left: string[] = [];
    for await (const info of destination.list('')) left.push(info.key);
    expect(left).toEqual([]);
    expect(await destination.sweep?.('', { olderThan: new Date(Date.now() + 60_000) })).toEqual([]);
  });
});
