import type { FaultRule } from '@tricopy/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackupRow } from '../catalog/catalog.js';
import { restoreBackup } from '../restore/restore.js';
import { runBackups } from '../schedule/run-backups.js';
import { type Harness, harness } from '../testing/harness.js';
import { verifyBackups } from '../verify/verify.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Every read of the artifact gives its bytes, then zeros without end. */
const ENDLESS: FaultRule = { op: 'get', key: /\.bin$/, times: Infinity, fault: { kind: 'endless' } };

async function backedUp(t: Harness): Promise<BackupRow> {
  const [result] = (await runBackups(t.session, ['app'])).runs;
  const row = await t.session.catalog.getBackup(result?.backupId as string);
  if (row === undefined) throw new Error('no backup recorded');
  return row;
}

describe('a destination that sends more than the copy it holds', () => {
  it('restore: is stopped at the recorded size, named, and the intact copy is used', async () => {
    h = await harness({ destinations: { local: { faults: [ENDLESS] }, cloud: {} } });
    const row = await backedUp(h);
    await expect(restoreBackup(h.session, row, { path: '/only-local' }, { from: 'local' })).rejects.toThrow(
      `the copy on local holds more than the ${row.size} bytes recorded for it: not read further`,
    );
    await restoreBackup(h.session, row, { path: '/restored' });
    expect(h.restored.get('/restored')?.equals(h.body('app'))).toBe(true);
  });

  it('verify --deep: a size mismatch, not an endless read', async () => {
    h = await harness({ destinations: { local: { faults: [ENDLESS] }, cloud: {} } });
    const row = await backedUp(h);
    const report = await verifyBackups(h.session, [row], 'deep');
    const local = report.copies.find((c) => c.destination === 'local');
    expect(local?.status).toBe('size-mismatch');
    expect(local?.error).toMatch(`read more than ${row.size} bytes (not read further)`);
    expect(report.copies.find((c) => c.destination === 'cloud')?.status).toBe('ok');
  });

  it('a copy written again from it: stopped at the recorded size, never propagated', async () => {
    h = await harness({
      destinations: {
        local: { faults: [ENDLESS] },
        nas: { faults: [{ op: 'put', key: /\.bin$/, fault: { kind: 'truncate', bytes: 1000 } }] },
      },
    });
    const [result] = (await runBackups(h.session, ['app'])).runs;
    const nas = result?.copies.find((c) => c.destination === 'nas');
    expect(nas?.status).toBe('failed');
    expect(nas?.error).toMatch(/the copy read from destination local holds more than the \d+ bytes recorded/);
    expect(h.destinations.nas?.objects.has(`app/${result?.backupId}/app.bin`)).toBe(false);
  });
});
