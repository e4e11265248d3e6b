import { afterEach, describe, expect, it } from 'vitest';
import { MANIFEST_NAME, type Manifest } from '../manifest/manifest.js';
import { MANIFEST_MAX_BYTES } from '../manifest/manifest-read.js';
import { forgetBackup } from '../prune/forget.js';
import { removeCopy } from '../prune/prune.js';
import { runBackups } from '../schedule/run-backups.js';
import type { Session } from '../session/session.js';
import { type Harness, harness } from '../testing/harness.js';
import { sessionWithLostCatalog } from '../testing/lost-catalog.js';
import { newBackupId } from '../util/ids.js';
import { verifyBackups } from '../verify/verify.js';
import { rebuildCatalog } from './rebuild.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** One genuine backup of `app` on `trusted` and `offsite`; then the catalog is lost. */
async function realBackupThenLoseCatalog(t: Harness): Promise<{ session: Session; real: Manifest }> {
  const report = await runBackups(t.session, ['app']);
  const id = report.runs[0]?.backupId as string;
  const session = await sessionWithLostCatalog(t);
  const text = String(t.destinations.offsite?.objects.get(`app/${id}/${MANIFEST_NAME}`));
  return { session, real: JSON.parse(text) as Manifest };
}

/**
 * A forged backup on offsite, as whoever holds offsite's credentials can write it: a new id (an hour before the
 * real one), the real artifact's bytes in its own folder, a manifest made consistent by hand, then `change`d.
 */
function forgeOnOffsite(t: Harness, real: Manifest, change: (m: Manifest) => Manifest = (m) => m): Manifest {
  const started = new Date(Date.parse(real.createdAt) - 3_600_000);
  const backupId = newBackupId(started);
  const key = `app/${backupId}/${real.artifact.key.split('/').at(-1)}`;
  const forged = change({
    ...real,
    backupId,
    createdAt: started.toISOString(),
    finishedAt: started.toISOString(),
    artifact: { ...real.artifact, key },
    copies: [
      { destination: 'offsite', key },
      { destination: 'trusted', key },
    ],
  });
  const offsite = t.destinations.offsite?.objects as Map<string, Buffer>;
  const folder = `app/${typeof forged.backupId === 'string' ? forged.backupId : backupId}/`;
  const artifactKey = typeof forged.artifact?.key === 'string' ? forged.artifact.key : key;
  offsite.set(artifactKey.startsWith(folder) ? artifactKey : key, offsite.get(real.artifact.key) as Buffer);
  offsite.set(`${folder}${MANIFEST_NAME}`, Buffer.from(JSON.stringify(forged)));
  return forged;
}

const TWO = { trusted: {}, offsite: {} };

/** The copies a forged manifest lists: its own on offsite, and one on trusted under `trustedKey`. */
function naming(m: Manifest, trustedKey: string): Manifest['copies'] {
  return [
    { destination: 'offsite', key: m.artifact.key },
    { destination: 'trusted', key: trustedKey },
  ];
}

describe('a forged manifest on one destination never reaches another', () => {
  it("naming trusted's copy under the real backup's key: refused, and forget of what was imported leaves trusted alone", async () => {
    h = await harness({ destinations: TWO });
    const { session, real } = await realBackupThenLoseCatalog(h);
    const forged = forgeOnOffsite(h, real, (m) => ({ ...m, copies: naming(m, real.artifact.key) }));
    const report = await rebuildCatalog(session, 'offsite');
    expect(report.problems.join('\n')).toMatch(/copy on trusted names another key/);
    expect(report.imported).toEqual([real.backupId]);
    expect(await session.catalog.getBackup(forged.backupId)).toBeUndefined();
    await verifyBackups(session, await session.catalog.listBackups({ job: 'app' }), 'deep');
    await forgetBackup(session, forged.backupId, { force: true }).catch(() => undefined);
    await session.closeCatalog();
    expect(h.destinations.trusted?.objects.has(real.artifact.key)).toBe(true);
  });

  it('a forged backup imported from offsite gets no row on trusted; verify and forget never touch trusted', async () => {
    h = await harness({ destinations: TWO });
    const { session, real } = await realBackupThenLoseCatalog(h);
    const forged = forgeOnOffsite(h, real, (m) => ({ ...m, copies: naming(m, m.artifact.key) }));
    const report = await rebuildCatalog(session, 'offsite');
    expect(report.problems.join('\n')).toMatch(
      /copy its manifest names on trusted does not match it.*missing/,
    );
    const copies = await session.catalog.listCopies(forged.backupId);
    expect(copies.map((c) => c.destination)).toEqual(['offsite']);
    const backups = await session.catalog.listBackups({ job: 'app' });
    await verifyBackups(session, backups, 'deep');
    await forgetBackup(session, forged.backupId, { force: true });
    await session.closeCatalog();
    expect(h.destinations.trusted?.objects.has(real.artifact.key)).toBe(true);
    expect(h.destinations.trusted?.objects.has(`app/${real.backupId}/${MANIFEST_NAME}`)).toBe(true);
  });

  it("a catalog row naming another backup's key (an older rebuild) is left alone by prune and forget", async () => {
    h = await harness({ destinations: TWO });
    const { session, real } = await realBackupThenLoseCatalog(h);
    const forged = forgeOnOffsite(h, real);
    await rebuildCatalog(session, 'offsite');
    await session.catalog.upsertCopy({
      backupId: forged.backupId,
      destination: 'trusted',
      status: 'pending',
      key: real.artifact.key,
      location: null,
      size: null,
      sha256: null,
      attempts: 0,
      error: null,
    });
    const backup = await session.catalog.getBackup(forged.backupId);
    const row = (await session.catalog.listCopies(forged.backupId)).find((c) => c.destination === 'trusted');
    const trusted = await session.destination('trusted');
    const pruned = await removeCopy(session, trusted, 'trusted', backup!, row!, false);
    expect(pruned).toMatchObject({
      status: 'left-alone',
      error: expect.stringMatching(/not in the backup's own folder/),
    });
    const verified = await verifyBackups(session, [backup!], 'stat');
    expect(verified.copies.find((c) => c.destination === 'trusted')?.status).toBe('error');
    await session.closeCatalog();
    expect(h.destinations.trusted?.objects.has(real.artifact.key)).toBe(true);
  });
});

describe('manifests are data checked against a schema', () => {
  const shift = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
  it.each<[string, (m: Manifest) => unknown, RegExp]>([
    [
      'createdAt of 2099',
      (m) => ({ ...m, createdAt: '2099-01-01T00:00:00.000Z' }),
      /createdAt .* is not the time its backup id .* encodes/,
    ],
    [
      'finishedAt before createdAt',
      (m) => ({ ...m, finishedAt: shift(m.createdAt, -60_000) }),
      /finishedAt .* before createdAt/,
    ],
    [
      'a string size',
      (m) => ({ ...m, artifact: { ...m.artifact, size: String(m.artifact.size) } }),
      /artifact.size/,
    ],
    ['a negative size', (m) => ({ ...m, artifact: { ...m.artifact, size: -1 } }), /artifact.size/],
    [
      'an uppercase sha256',
      (m) => ({ ...m, artifact: { ...m.artifact, sha256: m.artifact.sha256.toUpperCase() } }),
      /artifact.sha256/,
    ],
    [
      'an unknown compression',
      (m) => ({ ...m, artifact: { ...m.artifact, compression: 'rar' } }),
      /artifact.compression/,
    ],
    ['a job with an escape sequence', (m) => ({ ...m, job: 'app\u001b[2J' }), /job: not a valid name/],
    [
      'a source type with a newline',
      (m) => ({ ...m, source: { type: './x.mjs\nFAKE' } }),
      /source.type: contains control/,
    ],
    [
      'an artifact key outside its folder',
      (m) => ({ ...m, artifact: { ...m.artifact, key: 'app/../etc/passwd' } }),
      /not a file in the backup's own folder/,
    ],
    [
      'a thousand copies',
      (m) => ({ ...m, copies: Array.from({ length: 1000 }, () => m.copies[0]) }),
      /copies/,
    ],
  ])('%s: reported and not imported', async (_what, change, problem) => {
    h = await harness({ destinations: TWO });
    const { session, real } = await realBackupThenLoseCatalog(h);
    const forged = forgeOnOffsite(h, real, (m) => change(m) as Manifest);
    const report = await rebuildCatalog(session, 'offsite');
    expect(report.problems.join('\n')).toMatch(problem);
    expect(report.problems.join('\n')).toMatch(/invalid manifest on offsite, not imported/);
    expect(report.imported).toEqual([real.backupId]);
    expect(await session.catalog.getBackup(forged.backupId)).toBeUndefined();
    await session.closeCatalog();
  });

  it('a backup id from the future is refused even when every time agrees with it', async () => {
    h = await harness({ destinations: TWO });
    const { session, real } = await realBackupThenLoseCatalog(h);
    const future = new Date('2099-01-01T00:00:00.000Z');
    forgeOnOffsite(h, real, (m) => {
      const backupId = newBackupId(future);
      const key = `app/${backupId}/${m.artifact.key.split('/').at(-1)}`;
      const copies = [{ destination: 'offsite', key }];
      const at = future.toISOString();
      return { ...m, backupId, createdAt: at, finishedAt: at, artifact: { ...m.artifact, key }, copies };
    });
    const report = await rebuildCatalog(session, 'offsite');
    expect(report.imported).toEqual([real.backupId]);
    expect(report.problems.join('\n')).toMatch(/claims to have started in the future/);
    await session.closeCatalog();
  });

  it('an oversize manifest is not read past the cap', async () => {
    h = await harness({ destinations: TWO });
    const { session, real } = await realBackupThenLoseCatalog(h);
    const forged = forgeOnOffsite(h, real);
    const padded = JSON.stringify({ ...forged, padding: 'x'.repeat(MANIFEST_MAX_BYTES) });
    h.destinations.offsite?.objects.set(`app/${forged.backupId}/${MANIFEST_NAME}`, Buffer.from(padded));
    const report = await rebuildCatalog(session, 'offsite');
    expect(report.problems.join('\n')).toMatch(/larger than 8388608 bytes: not read further/);
    expect(report.imported).toEqual([real.backupId]);
    await session.closeCatalog();
  });
});
