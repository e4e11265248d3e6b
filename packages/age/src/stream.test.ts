import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createDecryptStream } from './decrypt.js';
import { createEncryption, createEncryptStream } from './encrypt.js';
import { AgeDecryptError } from './errors.js';
import { CHUNK_SIZE } from './stream-cipher.js';
import { ageKeygen, removeKeyFolders, through } from './testing.js';

afterAll(removeKeyFolders);

const SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE, 3 * CHUNK_SIZE + 77];
const alice = ageKeygen();
const bob = ageKeygen();

function ageDecrypt(identityFile: string, file: Buffer): Buffer {
  return execFileSync('age', ['-d', '-i', identityFile], { input: file, maxBuffer: 64 * 1024 * 1024 });
}

function ageEncrypt(recipients: readonly string[], plain: Buffer): Buffer {
  const args = recipients.flatMap((r) => ['-r', r]);
  return execFileSync('age', ['-e', ...args], { input: plain, maxBuffer: 64 * 1024 * 1024 });
}

describe('age payload stream', () => {
  it.each(SIZES)('the age CLI decrypts what we encrypt (%i bytes), for each recipient', async (size) => {
    const plain = randomBytes(size);
    const file = await through(await createEncryptStream([alice.recipient, bob.recipient]), plain, 7_000);
    expect(ageDecrypt(alice.identityFile, file).equals(plain)).toBe(true);
    expect(ageDecrypt(bob.identityFile, file).equals(plain)).toBe(true);
  });

  it.each(SIZES)('we decrypt what the age CLI encrypts (%i bytes)', async (size) => {
    const plain = randomBytes(size);
    const file = ageEncrypt([bob.recipient, alice.recipient], plain);
    expect((await through(createDecryptStream([alice.identity]), file, 3_333)).equals(plain)).toBe(true);
  });

  it('round-trips through itself whatever the piece size', async () => {
    const plain = randomBytes(5 * CHUNK_SIZE + 3);
    for (const pieceSize of [1_000, CHUNK_SIZE, 1024 * 1024]) {
      const file = await through(await createEncryptStream([alice.recipient]), plain, pieceSize);
      expect((await through(createDecryptStream([alice.identity]), file, pieceSize)).equals(plain)).toBe(
        true,
      );
    }
  });

  it('says no-match for an identity that is not a recipient', async () => {
    const file = await through(await createEncryptStream([alice.recipient]), randomBytes(100));
    const failure = await through(createDecryptStream([bob.identity]), file).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AgeDecryptError);
    expect((failure as AgeDecryptError).failure).toBe('no-match');
  });

  it('fails authentication on any flipped payload byte, and on a truncated file', async () => {
    const plain = randomBytes(2 * CHUNK_SIZE + 10);
    const file = await through(await createEncryptStream([alice.recipient]), plain);
    for (const at of [file.length - 1, file.length - 20, file.length - CHUNK_SIZE - 40]) {
      const flipped = Buffer.from(file);
      flipped[at] = (flipped[at] as number) ^ 0x01;
      const failure = await through(createDecryptStream([alice.identity]), flipped).catch((e: unknown) => e);
      expect((failure as AgeDecryptError).failure).toBe('payload');
    }
    const cut = await through(
      createDecryptStream([alice.identity]),
      file.subarray(0, file.length - 30),
    ).catch((e: unknown) => e);
    expect((cut as AgeDecryptError).failure).toBe('payload');
  });

  it('fails on a flipped header byte', async () => {
    const file = await through(await createEncryptStream([alice.recipient]), randomBytes(10));
    const flipped = Buffer.from(file);
    flipped[30] = (flipped[30] as number) ^ 0x01;
    const failure = await through(createDecryptStream([alice.identity]), flipped).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AgeDecryptError);
  });

  it('refuses to encrypt to nobody', async () => {
    await expect(createEncryptStream([])).rejects.toThrow(/no recipients/);
  });

  it("the encryptor's own verifier decrypts its output without an identity, and refuses anything else", async () => {
    const plain = randomBytes(2 * CHUNK_SIZE + 10);
    const encryption = await createEncryption([alice.recipient]);
    const file = await through(encryption.stream, plain);
    expect((await through(encryption.verifier(), file, 4_096)).equals(plain)).toBe(true);
    const flipped = Buffer.from(file);
    flipped[file.length - 5] = (flipped[file.length - 5] as number) ^ 0x01;
    const cut = file.subarray(0, file.length - CHUNK_SIZE);
    const other = await through((await createEncryption([alice.recipient])).stream, plain);
    for (const [bad, failure] of [
      [flipped, 'payload'],
      [cut, 'payload'],
      [other, 'header'],
      [Buffer.alloc(0), 'header'],
    ] as const) {
      const error = await through(encryption.verifier(), bad).catch((e: unknown) => e);
      expect((error as AgeDecryptError).failure).toBe(failure);
    }
  });
});
