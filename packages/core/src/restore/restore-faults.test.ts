import { afterEach, describe, expect, it } from 'vitest';
import type { BackupRow } from '../catalog/catalog.js';
import { runBackups } from '../schedule/run-backups.js';
import { type Harness, harness } from '../testing/harness.js';
import { restoreBackup } from './restore.js';

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

describe('restore applies only the bytes it hashed', () => {
  it('a local copy replaced right after it was hashed: the hashed bytes are applied, not the new ones', async () => {
    h = await harness({ destinations: { local: {} } });
    const backup = await backedUp(h);
    h.destinations.local?.inject({
      op: 'get',
      key: /\.bin$/,
      fault: { kind: 'replace-after-read', bytes: Buffer.from('another backup’s artifact') },
    });
    await restoreBackup(h.session, backup, { path: '/restored' });
    expect(h.restored.get('/restored')?.equals(h.body('app'))).toBe(true);
  });

  it('a corrupt cheapest copy is skipped and the next one is used', async () => {
    h = await harness({ destinations: { local: {}, cloud: { capabilities: { storedSha256: true } } } });
    const backup = await backedUp(h);
    const key = (await h.session.catalog.listCopies(backup.id))[0]?.key as string;
    const local = h.destinations.local?.objects.get(key) as Buffer;
    local[10] = (local[10] as number) ^ 0xff;
    const result = await restoreBackup(h.session, backup, { path: '/restored' });
    expect(result.destination).toBe('cloud');
    expect(result.skipped.map((s) => s.destination)).toEqual(['local']);
    expect(h.restored.get('/restored')?.equals(h.body('app'))).toBe(true);
  });

  it('a copy whose read fails mid-stream is skipped and the next one is used', async () => {
    h = await harness({ destinations: { local: {}, cloud: { capabilities: { storedSha256: true } } } });
    const backup = await backedUp(h);
    h.destinations.local?.inject({
      op: 'get',
      key: /\.bin$/,
      fault: { kind: 'fail-after', bytes: 5000, error: 'ECONNRESET' },
    });
    const result = await restoreBackup(h.session, backup, { path: '/restored' });
    expect(result.destination).toBe('cloud');
    expect(h.restored.get('/restored')?.equals(h.body('app'))).toBe(true);
  });

  it('no intact copy: refused, nothing applied', async () => {
    h = await harness({ destinations: { local: {} } });
    const backup = await backedUp(h);
    h.destinations.local?.inject({
      op: 'get',
      key: /\.bin$/,
      fault: { kind: 'fail-after', bytes: 5000, error: 'EACCES' },
    });
    await expect(restoreBackup(h.session, backup, { path: '/restored' })).rejects.toThrow(
      /could be read intact/,
    );
    expect(h.restored.size).toBe(0);
  });

  it('a target the source would refuse is refused before any copy is read', async () => {
    h = await harness({ destinations: { local: {} } });
    const backup = await backedUp(h);
    const local = h.destinations.local;
    local?.log.splice(0);
    await expect(restoreBackup(h.session, backup, { path: '/missing/restored' })).rejects.toThrow(
      /folder \/missing does not exist/,
    );
    expect(local?.log.filter((entry) => entry.startsWith('get '))).toEqual([]);
    expect(h.restored.size).toBe(0);
  });
});
