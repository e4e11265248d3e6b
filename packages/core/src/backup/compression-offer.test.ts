import { zstdCompressSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { restoreBackup } from '../restore/restore.js';
import { runBackups } from '../schedule/run-backups.js';
import { type Harness, harness } from '../testing/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Text that compresses, so a second compression would show. */
const text = () => Buffer.from('INSERT INTO orders VALUES (1, 2, 3);\n'.repeat(20_000));

async function backup(t: Harness) {
  const report = await runBackups(t.session, ['app']);
  expect(report.runs[0]?.status).toBe('ok');
  const row = await t.session.catalog.getBackup(report.runs[0]?.backupId as string);
  if (row === undefined) throw new Error('no backup recorded');
  return row;
}

describe("the engine's compression offer", () => {
  it('a source that compresses itself is stored as it is (.zst, never compressed twice) and restores', async () => {
    h = await harness({
      destinations: { local: {} },
      compression: 'auto',
      sourceCompresses: true,
      body: text,
    });
    const row = await backup(h);
    expect(h.offers).toEqual([{ codec: 'zstd', level: 3 }]);
    expect(row.compression).toBe('zstd');
    const [copy] = await h.session.catalog.listCopies(row.id);
    expect(copy?.key).toMatch(/app\.bin\.zst$/);
    expect(h.destinations.local?.objects.get(copy?.key as string)?.equals(zstdCompressSync(text()))).toBe(
      true,
    );
    await restoreBackup(h.session, row, { path: '/restored' });
    expect(h.restored.get('/restored')?.equals(text())).toBe(true);
  });

  it('a source that ignores the offer is compressed by the engine', async () => {
    h = await harness({ destinations: { local: {} }, compression: 'zstd', body: text });
    const row = await backup(h);
    expect(row.compression).toBe('zstd');
    const [copy] = await h.session.catalog.listCopies(row.id);
    const stored = h.destinations.local?.objects.get(copy?.key as string) as Buffer;
    expect(stored.subarray(0, 4).toString('hex')).toBe('28b52ffd');
    await restoreBackup(h.session, row, { path: '/restored' });
    expect(h.restored.get('/restored')?.equals(text())).toBe(true);
  });

  it('offers the configured level, and nothing when the job compresses with gzip or not at all', async () => {
    h = await harness({
      destinations: { local: {} },
      jobs: ['app'],
      compression: 'zstd',
      jobYaml: '    compressionLevel: 9',
    });
    await backup(h);
    expect(h.offers).toEqual([{ codec: 'zstd', level: 9 }]);
    await h.close();
    h = await harness({ destinations: { local: {} }, compression: 'gzip', sourceCompresses: true });
    const row = await backup(h);
    expect(h.offers).toEqual([undefined]);
    expect(row.compression).toBe('gzip');
  });
});
