import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { generateKeyPair, unsealText } from '@tricopy/age';
import { afterEach, describe, expect, it } from 'vitest';
import { MANIFEST_NAME, type SealedFacts } from '../manifest/manifest.js';
import { parseManifest } from '../manifest/manifest-read.js';
import { restoreBackup } from '../restore/restore.js';
import { runBackups } from '../schedule/run-backups.js';
import type { StageSeam } from '../session/session.js';
import { type Harness, harness } from '../testing/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const key = await generateKeyPair();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Passes the first `keep` bytes on, then swallows the rest: a stage that writes part of its output and ends well. */
function truncateAfter(keep: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const room = Math.max(0, keep - seen);
      seen += chunk.length;
      callback(null, chunk.subarray(0, room));
    },
  });
}

async function run(options: { compression: string; encrypted: boolean; tap?: StageSeam }) {
  h = await harness({
    destinations: { local: {}, cloud: {} },
    compression: options.compression,
    ...(options.encrypted ? { jobYaml: `    encryption: { recipients: [${key.recipient}] }` } : {}),
    tapStage: (stage) => (stage === options.tap ? truncateAfter(100) : undefined),
  });
  const [result] = (await runBackups(h.session, ['app'])).runs;
  return result as NonNullable<typeof result>;
}

const CASES = ['zstd', 'gzip', 'none'].flatMap((compression) =>
  [false, true].map((encrypted) => ({ compression, encrypted })),
);

describe('the in-stream proof', () => {
  it.each(CASES)('%o: a sound artifact counts, with what it decodes to in the manifest', async (c) => {
    const result = await run(c);
    expect(result.status).toBe('ok');
    const t = h as Harness;
    const stored = t.destinations.local?.objects.get(`app/${result.backupId}/${MANIFEST_NAME}`);
    const manifest = parseManifest(String(stored), 'local', {
      folder: `app/${result.backupId}/`,
      now: new Date(),
    });
    const decoded = { size: t.body('app').length, sha256: sha(t.body('app')) };
    if (!c.encrypted) {
      expect(manifest.artifact.decoded).toEqual(decoded);
      return;
    }
    // Nothing about the plaintext in clear: what it decodes to travels sealed.
    expect(manifest.artifact.decoded).toBeUndefined();
    const sealed = manifest.encryption?.sealed as string;
    expect((JSON.parse(await unsealText([key.identity], sealed)) as SealedFacts).decoded).toEqual(decoded);
  });

  const seams = CASES.flatMap((c) =>
    (['source', 'compressor', 'encryptor'] as const)
      .filter(
        (tap) => (tap !== 'compressor' || c.compression !== 'none') && (tap !== 'encryptor' || c.encrypted),
      )
      .map((tap) => ({ ...c, tap })),
  );

  it.each(seams)('%o: a stream cut short after a stage fails the backup, naming the stage', async (c) => {
    const result = await run(c);
    expect(result.status).toBe('failed');
    const compressor = c.compression === 'none' || c.tap === 'encryptor' ? undefined : c.compression;
    const stage = compressor ?? (c.encrypted ? 'age' : undefined);
    const named =
      stage === undefined
        ? /the backup is not proven: the stream that reached the destinations holds 100 of the 204800 bytes the memory source produced/
        : new RegExp(
            `the backup is not proven: the ${stage} stage's output (does not|decrypts to|decodes to)`,
          );
    expect(result.error).toMatch(named);
    for (const copy of result.copies) expect(copy.status).toBe('failed');
    for (const destination of Object.values((h as Harness).destinations)) {
      expect([...destination.objects.keys()]).toEqual([]);
    }
  });

  it('restore checks the decoded stream against what the backup proved', async () => {
    const result = await run({ compression: 'zstd', encrypted: false });
    const t = h as Harness;
    const row = await t.session.catalog.getBackup(result.backupId);
    if (row?.manifest == null) throw new Error('no manifest recorded');
    await restoreBackup(t.session, row, { path: '/restored' });
    expect(t.restored.get('/restored')?.equals(t.body('app'))).toBe(true);
    const artifact = { ...row.manifest.artifact, decoded: { size: 5, sha256: sha(Buffer.from('other')) } };
    const wrong = { ...row, manifest: { ...row.manifest, artifact } };
    await expect(restoreBackup(t.session, wrong, { path: '/wrong' })).rejects.toThrow(
      /the copy on (local|cloud) decodes to 204800 bytes \(sha256 [0-9a-f]{64}\), not the 5 bytes/,
    );
  });
});
