import { afterEach, describe, expect, it } from 'vitest';
import { MANIFEST_NAME, type Manifest } from '../manifest/manifest.js';
import { runBackups } from '../schedule/run-backups.js';
import type { Session } from '../session/session.js';
import { type Harness, harness } from '../testing/harness.js';
import { sessionWithLostCatalog } from '../testing/lost-catalog.js';
import { rebuildCatalog } from './rebuild.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Two backups of `app` on local and cloud; then the catalog is lost. */
async function twoBackupsThenLoseCatalog(t: Harness): Promise<{ session: Session; ids: string[] }> {
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const report = await runBackups(t.session, ['app']);
    expect(report.runs[0]?.status).toBe('ok');
    ids.push(report.runs[0]?.backupId as string);
  }
  return { session: await sessionWithLostCatalog(t), ids };
}

function manifestOn(t: Harness, destination: string, id: string): { key: string; manifest: Manifest } {
  const key = `app/${id}/${MANIFEST_NAME}`;
  return { key, manifest: JSON.parse(String(t.destinations[destination]?.objects.get(key))) as Manifest };
}

function forge(t: Harness, destination: string, id: string, change: (m: Manifest) => Manifest): void {
  const { key, manifest } = manifestOn(t, destination, id);
  t.destinations[destination]?.objects.set(key, Buffer.from(JSON.stringify(change(manifest))));
}

describe('catalog rebuild trusts no manifest about itself', () => {
  it('genuine manifests: both backups imported, the other copies checked there and recorded', async () => {
    h = await harness({ destinations: { local: {}, cloud: { capabilities: { storedSha256: true } } } });
    const { session, ids } = await twoBackupsThenLoseCatalog(h);
    const report = await rebuildCatalog(session, 'local');
    expect(report.problems).toEqual([]);
    expect([...report.imported].sort()).toEqual([...ids].sort());
    expect(
      (await session.catalog.listCopies(ids[0] as string)).map((c) => [c.destination, c.status]),
    ).toEqual([
      ['cloud', 'verified'],
      ['local', 'verified'],
    ]);
    await session.closeCatalog();
  });

  it('a manifest whose backupId was changed to an older backup: refused (not its folder), the older backup kept', async () => {
    h = await harness({ destinations: { local: {} } });
    const { session, ids } = await twoBackupsThenLoseCatalog(h);
    const [older, newer] = ids as [string, string];
    forge(h, 'local', newer, (m) => ({ ...m, backupId: older }));
    const report = await rebuildCatalog(session, 'local');
    expect(report.problems.join('\n')).toMatch(new RegExp(`app/${newer}/manifest.json: .*found in`));
    expect(report.imported).toEqual([older]);
    expect((await session.catalog.getBackup(older))?.sha256).toBe(
      manifestOn(h, 'local', older).manifest.artifact.sha256,
    );
    await session.closeCatalog();
  });

  it.each([
    ['job', (m: Manifest) => ({ ...m, job: 'other' })],
    ['artifact.key', (m: Manifest) => ({ ...m, artifact: { ...m.artifact, key: 'app/elsewhere/app.bin' } })],
    ['size', (m: Manifest) => ({ ...m, artifact: { ...m.artifact, size: m.artifact.size + 1 } })],
    ['sha256', (m: Manifest) => ({ ...m, artifact: { ...m.artifact, sha256: '0'.repeat(64) } })],
  ])('an edited %s is reported and not imported', async (_field, change) => {
    h = await harness({ destinations: { local: {} } });
    const { session, ids } = await twoBackupsThenLoseCatalog(h);
    forge(h, 'local', ids[1] as string, change);
    const report = await rebuildCatalog(session, 'local');
    expect(report.problems).toHaveLength(1);
    expect(report.imported).toEqual([ids[0]]);
    await session.closeCatalog();
  });

  it('the stored SHA-256 is checked, not only the size', async () => {
    h = await harness({ destinations: { local: {} } });
    const { session, ids } = await twoBackupsThenLoseCatalog(h);
    const key = manifestOn(h, 'local', ids[0] as string).manifest.artifact.key;
    const bytes = h.destinations.local?.objects.get(key) as Buffer;
    bytes[0] = (bytes[0] as number) ^ 1;
    const report = await rebuildCatalog(session, 'local');
    expect(report.problems.join('\n')).toMatch(/checksum-mismatch/);
    expect(report.imported).toEqual([ids[1]]);
    await session.closeCatalog();
  });

  it('a forged manifest on one destination never marks the genuine copies on another failed', async () => {
    h = await harness({ destinations: { local: {}, cloud: { capabilities: { storedSha256: true } } } });
    const { session, ids } = await twoBackupsThenLoseCatalog(h);
    await rebuildCatalog(session, 'cloud');
    forge(h, 'local', ids[0] as string, (m) => ({
      ...m,
      artifact: { ...m.artifact, sha256: '0'.repeat(64) },
    }));
    const report = await rebuildCatalog(session, 'local');
    expect(report.problems).toHaveLength(1);
    const copies = await session.catalog.listCopies(ids[0] as string);
    expect(copies.find((c) => c.destination === 'cloud')?.status).toBe('verified');
    expect((await session.catalog.getBackup(ids[0] as string))?.sha256).not.toBe('0'.repeat(64));
    await session.closeCatalog();
  });
});
