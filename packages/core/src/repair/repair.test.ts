import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MANIFEST_NAME } from '../manifest/manifest.js';
import { parseManifest } from '../manifest/manifest-read.js';
import { forgetBackup } from '../prune/forget.js';
import { runBackups } from '../schedule/run-backups.js';
import { type Harness, harness } from '../testing/harness.js';
import { repairBackups } from './repair.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Sizes only, like a plain disk: a same-size corruption passes a stat check. */
const SIZE_ONLY = { capabilities: { local: true } };

async function backupOnce(t: Harness): Promise<string> {
  const report = await runBackups(t.session, ['app']);
  const run = report.runs[0];
  expect(run?.status).toBe('ok');
  return run?.backupId as string;
}

async function row(t: Harness, id: string) {
  const backup = await t.session.catalog.getBackup(id);
  if (backup === undefined) throw new Error(`no backup ${id}`);
  return backup;
}

function flipByte(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy[100] = (copy[100] as number) ^ 0xff;
  return copy;
}

function manifestOn(t: Harness, destination: string, backupId: string) {
  const text = t.destinations[destination]?.objects.get(`app/${backupId}/${MANIFEST_NAME}`);
  return parseManifest(String(text), destination, { folder: `app/${backupId}/`, now: new Date() });
}

describe('repair', () => {
  it('writes a deleted copy again from a good one, and a corrupt source found on the way is repaired too', async () => {
    // "first" is the first source tried: its corruption passes the stat check, so only the read can find it.
    h = await harness({ destinations: { first: SIZE_ONLY, second: {}, third: {} } });
    const id = await backupOnce(h);
    const key = (await h.session.catalog.listCopies(id))[0]?.key as string;
    const good = h.destinations.second?.objects.get(key) as Buffer;
    h.destinations.first?.objects.set(key, flipByte(good));
    h.destinations.third?.objects.delete(key);

    const report = await repairBackups(h.session, [await row(h, id)]);

    expect(report.result).toBe('ok');
    const statuses = Object.fromEntries(
      report.backups[0]?.copies.map((c) => [c.destination, c.status]) ?? [],
    );
    expect(statuses).toEqual({ first: 'repaired', second: 'good', third: 'repaired' });
    for (const name of ['first', 'second', 'third']) {
      expect(sha(h.destinations[name]?.objects.get(key) as Buffer), name).toBe(sha(good));
      expect(manifestOn(h, name, id).copies.map((c) => c.destination)).toEqual(['first', 'second', 'third']);
    }
    expect((await h.session.catalog.listCopies(id)).map((c) => c.status)).toEqual([
      'verified',
      'verified',
      'verified',
    ]);
    expect((await h.session.catalog.getBackup(id))?.status).toBe('ok');
    expect(h.logs.some((l) => l.level === 'error' && l.message.includes('first'))).toBe(true);
    expect(report.backups[0]?.policy?.copies).toBe(3);
  });

  it('repairs what the last verify found failed, and a dry run changes nothing', async () => {
    h = await harness({ destinations: { a: {}, b: {} } });
    const id = await backupOnce(h);
    const key = (await h.session.catalog.listCopies(id))[0]?.key as string;
    h.destinations.b?.objects.delete(key);
    await h.session.catalog.setCopyStatus(id, 'b', 'failed', 'deep verify: missing');

    const dry = await repairBackups(h.session, [await row(h, id)], { dryRun: true });
    expect(dry.backups[0]?.copies.find((c) => c.destination === 'b')?.status).toBe('would-repair');
    expect(h.destinations.b?.objects.has(key)).toBe(false);

    const report = await repairBackups(h.session, [await row(h, id)]);
    expect(report.backups[0]?.copies.find((c) => c.destination === 'b')?.status).toBe('repaired');
    expect(h.destinations.b?.objects.get(key)).toEqual(h.destinations.a?.objects.get(key));
  });

  it('fails, copying nothing, when no copy matches the backup', async () => {
    h = await harness({ destinations: { a: SIZE_ONLY, b: SIZE_ONLY } });
    const id = await backupOnce(h);
    const key = (await h.session.catalog.listCopies(id))[0]?.key as string;
    const corrupt = flipByte(h.destinations.a?.objects.get(key) as Buffer);
    h.destinations.a?.objects.set(key, corrupt);
    h.destinations.b?.objects.delete(key);

    const report = await repairBackups(h.session, [await row(h, id)]);

    expect(report.result).toBe('failed');
    expect(h.destinations.b?.objects.has(key)).toBe(false);
    expect(h.destinations.a?.objects.get(key)).toEqual(corrupt); // a bad copy is never deleted by repair
    expect((await h.session.catalog.listCopies(id)).map((c) => c.status)).toEqual(['failed', 'failed']);
  });
});

describe('forget', () => {
  it("refuses the job's newest verified backup unless forced, and removes an older one everywhere", async () => {
    h = await harness({ destinations: { a: {}, b: {} } });
    const older = await backupOnce(h);
    const newest = await backupOnce(h);

    await expect(forgetBackup(h.session, newest)).rejects.toThrow(/newest verified backup of job app/);

    const dry = await forgetBackup(h.session, older, { dryRun: true });
    expect(dry.removed.map((r) => r.status)).toEqual(['would-delete', 'would-delete']);
    expect(h.destinations.a?.objects.has(`app/${older}/${MANIFEST_NAME}`)).toBe(true);

    const report = await forgetBackup(h.session, older);
    expect(report.ok).toBe(true);
    expect(report.forgotten).toBe(true);
    for (const name of ['a', 'b']) {
      const keys = [...(h.destinations[name]?.objects.keys() ?? [])];
      expect(
        keys.some((k) => k.includes(older)),
        name,
      ).toBe(false);
      expect(
        keys.some((k) => k.includes(newest)),
        name,
      ).toBe(true);
    }
    expect((await h.session.catalog.getBackup(older))?.prunedAt).not.toBeNull();

    const forced = await forgetBackup(h.session, newest, { force: true });
    expect(forced.forgotten).toBe(true);
  });
});
