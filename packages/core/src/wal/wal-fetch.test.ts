import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair } from '@tricopy/age';
import { afterEach, describe, expect, it } from 'vitest';
import { pseudoRandom } from '../testing/harness.js';
import { tempFolders } from '../testing/temp-folders.js';
import { type Archiving, startArchiving, until } from '../testing/wal-archiving.js';
import { fetchWalFile, type SkippedWalCopy } from './wal-fetch.js';

const tempFolder = tempFolders();

const SEG1 = '000000010000000000000001';
const owner = await generateKeyPair();

let archiving: Archiving | undefined;
afterEach(async () => {
  await archiving?.close();
  archiving = undefined;
});

/** An encrypted, compressed job with a local copy (read first) and a remote one, SEG1 archived on both. */
async function archived(): Promise<{ a: Archiving; dir: string }> {
  const dir = await tempFolder('tricopy-wal-fetch-');
  const identityFile = join(dir, 'key.txt');
  await writeFile(identityFile, `${owner.identity}\n`, { mode: 0o600 });
  const a = await startArchiving({
    destinations: { near: {}, far: { capabilities: { storedSha256: true } } },
    compression: 'zstd',
    jobYaml: `    encryption: { recipients: [${owner.recipient}] }`,
    identityFile,
  });
  archiving = a;
  await a.wal.write(SEG1, pseudoRandom(100_000, 7));
  await until(() => a.wal.acknowledged.includes(SEG1));
  await a.stop();
  return { a, dir };
}

describe('wal-fetch', () => {
  it('writes the archived file, decrypted and decompressed, from the cheapest copy', async () => {
    const { a, dir } = await archived();
    const target = join(dir, 'RECOVERYXLOG');
    const result = await fetchWalFile(a.h.session, 'pg', SEG1, target);
    expect(result).toEqual({ kind: 'fetched', destination: 'near', skipped: [] });
    expect((await readFile(target)).equals(pseudoRandom(100_000, 7))).toBe(true);
    expect(a.h.destinations.near?.objects.has(`pg/wal/${SEG1}.zst.age`)).toBe(true);
  });

  it('skips a copy that does not match the catalog, saying why, and uses the next', async () => {
    const { a, dir } = await archived();
    const key = `pg/wal/${SEG1}.zst.age`;
    const rotten = Buffer.from(a.h.destinations.near?.objects.get(key) as Buffer);
    rotten[rotten.length - 5] = (rotten[rotten.length - 5] as number) ^ 1;
    a.h.destinations.near?.objects.set(key, rotten);
    const target = join(dir, 'RECOVERYXLOG');
    const reported: SkippedWalCopy[] = [];
    const result = await fetchWalFile(a.h.session, 'pg', SEG1, target, (s) => reported.push(s));
    expect(result).toMatchObject({ kind: 'fetched', destination: 'far' });
    expect(reported).toEqual([
      { destination: 'near', reason: expect.stringMatching(/failed authentication/) },
    ]);
    expect((await readFile(target)).equals(pseudoRandom(100_000, 7))).toBe(true);
  });

  it('stops reading a copy that holds more than the catalog records, and uses the next', async () => {
    const { a, dir } = await archived();
    const key = `pg/wal/${SEG1}.zst.age`;
    const stored = a.h.destinations.near?.objects.get(key) as Buffer;
    a.h.destinations.near?.objects.set(key, Buffer.concat([stored, Buffer.alloc(1024 * 1024)]));
    const reported: SkippedWalCopy[] = [];
    const target = join(dir, 'RECOVERYXLOG');
    const result = await fetchWalFile(a.h.session, 'pg', SEG1, target, (s) => reported.push(s));
    expect(result).toMatchObject({ kind: 'fetched', destination: 'far' });
    expect(reported).toEqual([
      {
        destination: 'near',
        reason: `the copy on near holds more than the ${stored.length} bytes recorded for it: not read further`,
      },
    ]);
    expect((await readFile(target)).equals(pseudoRandom(100_000, 7))).toBe(true);
  });

  it('writes nothing when no copy is intact, and leaves no temporary file', async () => {
    const { a, dir } = await archived();
    for (const destination of Object.values(a.h.destinations)) destination.objects.clear();
    const target = join(dir, 'RECOVERYXLOG');
    const result = await fetchWalFile(a.h.session, 'pg', SEG1, target);
    expect(result).toMatchObject({ kind: 'unavailable' });
    expect(result.kind === 'unavailable' && result.skipped.map((s) => s.destination)).toEqual([
      'near',
      'far',
    ]);
    expect((await readdir(dir)).sort()).toEqual(['key.txt']);
  });

  it('answers not-archived for a file the catalog does not have, or a name that is no WAL file', async () => {
    const { a, dir } = await archived();
    for (const name of ['000000010000000000000002', '00000002.history', '../../etc/passwd']) {
      expect(await fetchWalFile(a.h.session, 'pg', name, join(dir, 'x'))).toEqual({ kind: 'not-archived' });
    }
  });
});
