import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createEncryptStream, generateKeyPair } from '@tricopy/age';
import { describe, expect, it } from 'vitest';
import { AGE_FORMAT } from '../manifest/manifest.js';
import { pseudoRandom } from '../testing/harness.js';
import { IntegrityError, UsageError } from '../util/errors.js';
import { checkDecrypts, type Decryption } from './restore-decrypt.js';

const key = await generateKeyPair();
const other = await generateKeyPair();
const plain = pseudoRandom(200_000);
const sha256 = createHash('sha256').update(plain).digest('hex');

async function encrypted(): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from([plain]),
    await createEncryptStream([key.recipient]),
    async (s: AsyncIterable<Buffer>) => {
      for await (const chunk of s) out.push(chunk);
    },
  );
  return Buffer.concat(out);
}

function decryption(identity: string, expected = { size: plain.length, sha256 }): Decryption {
  return {
    identities: [identity],
    identityFile: '/keys/key.txt',
    encryption: { format: AGE_FORMAT, recipients: [key.recipient], plaintext: expected, sealed: '' },
  };
}

describe('checkDecrypts: a staged encrypted copy is decrypted in full before anything is applied', () => {
  it('passes an intact copy', async () => {
    await expect(
      checkDecrypts(decryption(key.identity), Readable.from([await encrypted()]), 'local'),
    ).resolves.toBe(undefined);
  });

  it('a payload that fails authentication is an IntegrityError (that copy is skipped)', async () => {
    const file = await encrypted();
    file[file.length - 5] = (file[file.length - 5] as number) ^ 0x01;
    const failure = await checkDecrypts(decryption(key.identity), Readable.from([file]), 'nas').catch(
      (e) => e,
    );
    expect(failure).toBeInstanceOf(IntegrityError);
    expect(failure.message).toMatch(/copy on nas cannot be decrypted: age: chunk 3 failed authentication/);
  });

  it('a plaintext other than the one recorded is an IntegrityError', async () => {
    const check = checkDecrypts(
      decryption(key.identity, { size: plain.length, sha256: '0'.repeat(64) }),
      Readable.from([await encrypted()]),
      'cloud',
    );
    await expect(check).rejects.toThrow(IntegrityError);
    await expect(
      checkDecrypts(
        decryption(key.identity, { size: 1, sha256 }),
        Readable.from([await encrypted()]),
        'cloud',
      ),
    ).rejects.toThrow(/decrypts to 200000 bytes/);
  });

  it('an identity that is not a recipient is a UsageError naming both keys, never the secret', async () => {
    const failure = await checkDecrypts(
      decryption(other.identity),
      Readable.from([await encrypted()]),
      'local',
    ).catch((e) => e);
    expect(failure).toBeInstanceOf(UsageError);
    expect(failure.message).toContain(`(${other.recipient}) does not open this backup`);
    expect(failure.message).toContain(key.recipient);
    expect(failure.message).not.toContain(other.identity);
  });

  it('an unencrypted stream is not mistaken for a good copy', async () => {
    const check = checkDecrypts(decryption(key.identity), Readable.from([plain]), 'local');
    await expect(check).rejects.toThrow(IntegrityError);
  });
});
