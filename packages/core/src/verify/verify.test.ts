import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackupRow } from '../catalog/catalog.js';
import { runBackups } from '../schedule/run-backups.js';
import { type Harness, harness } from '../testing/harness.js';
import { verifyBackups } from './verify.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function backedUp(t: Harness) {
  const report = await runBackups(t.session, ['app']);
  expect(report.runs[0]?.status).toBe('ok');
  return (await t.session.catalog.getBackup(report.runs[0]?.backupId as string)) as BackupRow;
}

describe('verify uses the one copy check', () => {
  it('a store that declares storedSha256 but no longer returns one: that copy is no-checksum and failed', async () => {
    h = await harness({ destinations: { local: {}, cloud: { capabilities: { storedSha256: true } } } });
    const backup = await backedUp(h);
    const key = (await h.session.catalog.listCopies(backup.id))[0]?.key as string;
    // Rewritten without its hash (as a tool that drops metadata would).
    h.destinations.cloud?.inject({ op: 'put', fault: { kind: 'omit-sha256' } });
    await h.destinations.cloud?.put(key, (await h.destinations.local?.get(key)) as Readable);
    const report = await verifyBackups(h.session, [backup], 'stat');
    const cloud = report.copies.find((c) => c.destination === 'cloud');
    expect(cloud?.status).toBe('no-checksum');
    expect(
      (await h.session.catalog.listCopies(backup.id)).find((c) => c.destination === 'cloud')?.status,
    ).toBe('failed');
  });

  it('deep: a flipped bit in a store without hashes is found by reading', async () => {
    h = await harness({ destinations: { nas: { capabilities: {} } } });
    const backup = await backedUp(h);
    const key = (await h.session.catalog.listCopies(backup.id))[0]?.key as string;
    const bytes = h.destinations.nas?.objects.get(key) as Buffer;
    bytes[7] = (bytes[7] as number) ^ 1;
    expect((await verifyBackups(h.session, [backup], 'stat')).ok).toBe(true);
    const deep = await verifyBackups(h.session, [backup], 'deep');
    expect(deep.copies[0]?.status).toBe('checksum-mismatch');
  });
});
