// An age-encrypted point-in-time recovery job through the real CLI: the base backup and every WAL file are stored as
// age files only on local + SFTP + S3; a restore to a time between two writes works with `--identity` and says what
// to do without it; and the by-hand restore of docs/pitr.md for an encrypted job (age -d, zstd, tar, a zstd
// restore_command) gives the same rows.
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataDirServer } from '@tricopy/test-servers';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Archiver } from './pitr-archiver.js';
import { batchCounts, EVENTS_TABLE_SQL, switchWal, targetAfter, writeBatch } from './pitr-data.js';
import { PITR_DATABASE, PITR_DESTINATIONS, type PitrEnv, pitrConfig, startPitrEnv } from './pitr-env.js';
import {
  copyOffNas,
  recoverToTime,
  restoreAndStart,
  startRestored,
  waitArchiverStreaming,
  waitStoredEverywhere,
} from './pitr-steps.js';
import { runShellAs } from './pitr-user.js';

const ROWS = { A: 120, B: 80 };
const AGE_HEADER = 'age-encryption.org/v1\n';

let env: PitrEnv;
let archiver: Archiver;
let identity: string;
let identityText: string;
let afterA = '';
const restored: DataDirServer[] = [];

beforeAll(async () => {
  env = await startPitrEnv('pitr-age');
  identityText = (await execa('age-keygen')).stdout;
  const recipient = (await execa('age-keygen', ['-y'], { input: identityText })).stdout.trim();
  identity = await env.ws.write('keys/ops.txt', `${identityText}\n`);
  await env.pg.sql(PITR_DATABASE, EVENTS_TABLE_SQL);
  await env.ws.write(
    'tricopy.yaml',
    pitrConfig(env, { job: `    encryption: { recipients: [${recipient}] }` }),
  );
});

afterAll(async () => {
  await Promise.allSettled(restored.map((server) => server.stop()));
  await env?.stop();
});

async function startsWithAgeHeader(file: string): Promise<boolean> {
  const handle = await open(file);
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(AGE_HEADER.length), 0, AGE_HEADER.length, 0);
    return buffer.subarray(0, bytesRead).toString('latin1') === AGE_HEADER;
  } finally {
    await handle.close();
  }
}

describe('an encrypted PostgreSQL point-in-time recovery job', { timeout: 400_000 }, () => {
  it('stores the base backup and the WAL as age files only, on every destination', async () => {
    archiver = env.archiver('app');
    await waitArchiverStreaming(env, archiver);
    const backup = await env.cli(['backup', 'app']);
    expect(backup.code, backup.stderr).toBe(0);
    afterA = await targetAfter(env.pg, await writeBatch(env.pg, 'A', ROWS.A));
    await writeBatch(env.pg, 'B', ROWS.B);
    const segment = await switchWal(env.pg);
    await waitStoredEverywhere(env, archiver, segment);

    for (const destination of PITR_DESTINATIONS) {
      const folder = env.walFolder(destination, 'app');
      // s3rver keeps an object's bytes in KEY._S3rver_object, beside its metadata.
      const files = (await readdir(folder)).filter(
        (f) => destination !== 'cloud' || f.endsWith('._S3rver_object'),
      );
      expect(files.length, `${destination}: ${files.join(', ')}`).toBeGreaterThan(0);
      for (const file of files) {
        expect(file.replace(/\._S3rver_object$/, ''), destination).toMatch(/\.zst\.age$/);
        expect(await startsWithAgeHeader(join(folder, file)), `${destination}: ${file}`).toBe(true);
      }
    }
  });

  it('restores to a time between two writes with --identity, and without it says what to give', async () => {
    const without = await env.cli([
      'restore',
      '--job',
      'app',
      '--time',
      afterA,
      '--to',
      join(env.ws.dir, 'no-key'),
    ]);
    expect(without.code).not.toBe(0);
    expect(without.stderr).toMatch(/--identity/);

    const server = await restoreAndStart(env, restored, 'restored', [
      '--time',
      afterA,
      '--identity',
      identity,
    ]);
    expect(await batchCounts(server.sql)).toEqual({ A: ROWS.A });
    await server.stop();
  });

  it('restores by hand as docs/pitr.md shows for an encrypted job: age -d, zstd, tar, the WAL decrypted', async () => {
    const wal = await copyOffNas(env, 'app.tar.zst.age');
    await runShellAs(
      env.user,
      env.ws,
      `mkdir -m 700 by-hand
age -d -i ${identity} app.tar.zst.age | zstd -d | tar -x -C by-hand
for f in ${wal}/*.age; do age -d -i ${identity} -o "\${f%.age}" "$f" && rm "$f"; done
${recoverToTime('by-hand', wal, afterA)}`,
    );
    const server = await startRestored(restored, join(env.ws.dir, 'by-hand'));
    expect(await batchCounts(server.sql)).toEqual({ A: ROWS.A });
    await server.stop();
  });

  it('stops cleanly on SIGTERM, and neither a password nor the identity appears in any output', async () => {
    const stopped = await archiver.stop();
    expect(stopped, archiver.stderr()).toEqual({ code: 0, signal: null });
    const secretKey = /AGE-SECRET-KEY-1[0-9A-Z]+/.exec(identityText)?.[0] ?? '';
    expect(secretKey).not.toBe('');
    const everything = env.outputs() + (await Promise.all(restored.map((s) => s.readLog()))).join('\n');
    for (const secret of [...env.secrets, secretKey]) expect(everything).not.toContain(secret);
  });
});
