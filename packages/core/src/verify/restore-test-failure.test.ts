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

describe('a restore test that fails', () => {
  it('after reading a copy records which copy it read, and why it failed', async () => {
    h = await harness({ destinations: { local: {} } });
    const report = await runBackups(h.session, ['app']);
    const backup = (await h.session.catalog.getBackup(report.runs[0]?.backupId as string)) as BackupRow;
    const source = await h.session.source('app');
    Object.assign(source, {
      restoreTest: async () => {
        throw new Error('permission denied to create database');
      },
    });
    const verified = await verifyBackups(h.session, [backup], 'restore-test');
    expect(verified.restoreTests).toEqual([
      expect.objectContaining({
        status: 'error',
        destination: 'local',
        error: expect.stringMatching(/permission denied/),
      }),
    ]);
    const recorded = (await h.session.catalog.listVerifications(backup.id)).filter(
      (v) => v.level === 'restore-test',
    );
    expect(recorded.map((v) => [v.destination, v.status, v.detail])).toEqual([
      ['local', 'error', expect.stringMatching(/permission denied to create database/)],
    ]);
  });
});
