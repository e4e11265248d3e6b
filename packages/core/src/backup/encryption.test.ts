import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, unsealText } from '@tricopy/age';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackupRow } from '../catalog/catalog.js';
import { parseManifest } from '../manifest/manifest-read.js';
import { restoreBackup } from '../restore/restore.js';
import { runBackups } from '../schedule/run-backups.js';
import { type Harness, harness } from '../testing/harness.js';
import { tempFolders } from '../testing/temp-folders.js';
import { restoreTestBackup } from '../verify/restore-test.js';
import { verifyBackups } from '../verify/verify.js';

const tempFolder = tempFolders();

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const owner = await generateKeyPair();
const breakGlass = await generateKeyPair();
const stranger = await generateKeyPair();

async function identityFile(identity: string): Promise<string> {
  const file = join(await tempFolder('tricopy-key-'), 'key.txt');
  await writeFile(file, `# created by a test\n${identity}\n`, { mode: 0o600 });
  return file;
}

async function encryptedHarness(identity?: string) {
  return harness({
    destinations: { local: {}, cloud: { capabilities: { storedSha256: true } } },
    jobYaml: `    encryption: { recipients: [${owner.recipient}, ${breakGlass.recipient}] }`,
    ...(identity === undefined ? {} : { identityFile: await identityFile(identity) }),
  });
}

async function backedUp(t: Harness) {
  const report = await runBackups(t.session, ['app']);
  expect(report.runs[0]?.status).toBe('ok');
  expect(report.runs[0]?.encrypted).toBe(true);
  return (await t.session.catalog.getBackup(report.runs[0]?.backupId as string)) as BackupRow;
}

function storedObjects(t: Harness, destination: string) {
  return t.destinations[destination]?.objects as Map<string, Buffer>;
}

describe('encrypted backups', () => {
  it('seal the values their sameAsBackup assertions recorded, and a restore test compares with them', async () => {
    const assertion =
      '      - { name: dump-size, sql: "SELECT secret_total FROM ledger", sameAsBackup: true }';
    h = await harness({
      destinations: { local: {} },
      jobYaml: `    encryption: { recipients: [${owner.recipient}] }\n    assertions:\n${assertion}`,
      identityFile: await identityFile(owner.identity),
    });
    const backup = await backedUp(h);
    const [, manifestBytes] =
      [...storedObjects(h, 'local').entries()].find(([key]) => key.endsWith('manifest.json')) ?? [];
    const manifestText = manifestBytes?.toString() ?? '';
    expect(manifestText).not.toContain('secret_total');
    const manifest = JSON.parse(manifestText);
    const sealed = JSON.parse(await unsealText([owner.identity], manifest.encryption.sealed));
    const size = String(h.body('app').length);
    expect(sealed.assertions).toEqual([
      { name: 'dump-size', sql: 'SELECT secret_total FROM ledger', value: size },
    ]);
    const tested = await restoreTestBackup(h.session, backup);
    expect(tested.assertions).toEqual([
      expect.objectContaining({ name: 'dump-size', value: size, ok: true }),
    ]);
  });

  it('store the same age ciphertext on every copy, and a manifest with nothing of the source readable', async () => {
    h = await encryptedHarness();
    const backup = await backedUp(h);
    expect(backup.artifactKey).toMatch(/\.bin\.age$/);
    const local = storedObjects(h, 'local');
    const artifact = local.get(backup.artifactKey as string) as Buffer;
    expect(artifact.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
    expect(
      storedObjects(h, 'cloud')
        .get(backup.artifactKey as string)
        ?.equals(artifact),
    ).toBe(true);
    expect(artifact.includes(h.body('app').subarray(0, 64))).toBe(false);

    const [manifestKey, manifestBytes] =
      [...local.entries()].find(([key]) => key.endsWith('manifest.json')) ?? [];
    const manifestText = manifestBytes?.toString() ?? '';
    expect(manifestText).not.toContain('memory source');
    const place = { folder: manifestKey?.replace(/manifest\.json$/, '') ?? '', now: new Date() };
    const manifest = parseManifest(manifestText, 'local', place);
    expect(manifest.encryption?.recipients).toEqual([owner.recipient, breakGlass.recipient]);
    expect(manifest.encryption?.plaintext.size).toBe(h.body('app').length);
    expect(manifest.artifact.sha256).toBe(backup.sha256);
    const sealed = JSON.parse(await unsealText([breakGlass.identity], manifest.encryption?.sealed ?? ''));
    expect(sealed.source.description).toBe('memory source');
  });

  it('restore refuses without an identity, naming the recipients, and applies nothing', async () => {
    h = await encryptedHarness();
    const backup = await backedUp(h);
    const refused = restoreBackup(h.session, backup, { path: '/restored' });
    await expect(refused).rejects.toThrow(/--identity FILE/);
    await expect(restoreBackup(h.session, backup, { path: '/restored' })).rejects.toThrow(owner.recipient);
    expect(h.restored.size).toBe(0);
  });

  it('restore with an identity that is not a recipient fails clearly and applies nothing', async () => {
    h = await encryptedHarness(stranger.identity);
    const backup = await backedUp(h);
    await expect(restoreBackup(h.session, backup, { path: '/restored' })).rejects.toThrow(
      /does not open this backup.*nothing was applied/,
    );
    expect(h.restored.size).toBe(0);
  });

  it('restore with either recipient identity applies the plaintext', async () => {
    h = await encryptedHarness(breakGlass.identity);
    const backup = await backedUp(h);
    const result = await restoreBackup(h.session, backup, { path: '/restored' });
    expect(h.restored.get('/restored')?.equals(h.body('app'))).toBe(true);
    expect(result.skipped).toEqual([]);
  });

  it('a flipped ciphertext byte on the cheapest copy: that copy is skipped, the next one is restored', async () => {
    h = await encryptedHarness(owner.identity);
    const backup = await backedUp(h);
    const local = storedObjects(h, 'local').get(backup.artifactKey as string) as Buffer;
    local[local.length - 100] = (local[local.length - 100] as number) ^ 0x01;
    const result = await restoreBackup(h.session, backup, { path: '/restored' });
    expect(result.destination).toBe('cloud');
    expect(result.skipped.map((s) => s.destination)).toEqual(['local']);
    expect(h.restored.get('/restored')?.equals(h.body('app'))).toBe(true);
  });

  it('deep verify needs no identity; restore-test does', async () => {
    h = await encryptedHarness();
    const backup = await backedUp(h);
    const deep = await verifyBackups(h.session, [backup], 'deep');
    expect(deep.copies.every((c) => c.status === 'ok')).toBe(true);
    await expect(restoreTestBackup(h.session, backup)).rejects.toThrow(/--identity FILE/);
  });
});
