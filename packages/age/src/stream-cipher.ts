import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';

/** age's STREAM payload (age-encryption.org/v1, "Payload"): 64 KiB chunks, ChaCha20-Poly1305, a 16-byte tag each. */
export const CHUNK_SIZE = 64 * 1024;
export const TAG_SIZE = 16;
export const NONCE_SIZE = 16;
const COUNTER_LIMIT = 2 ** 48;

/** The payload key: HKDF-SHA256 of the file key, salted with the file's 16-byte payload nonce, info "payload". */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
}

/** The 12-byte ChaCha20-Poly1305 nonce of chunk `counter`: an 11-byte big-endian counter and the last-chunk flag. */
function chunkNonce(counter: number, last: boolean): Buffer {
  if (counter >= COUNTER_LIMIT) throw new Error('age: payload too large (chunk counter overflow)');
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

export function sealChunk(key: Buffer, counter: number, last: boolean, plain: Buffer): Buffer[] {
  const cipher = createCipheriv('chacha20-poly1305', key, chunkNonce(counter, last), {
    authTagLength: TAG_SIZE,
  });
  return [cipher.update(plain), cipher.final(), cipher.getAuthTag()];
}

export function openChunk(key: Buffer, counter: number, last: boolean, sealed: Buffer): Buffer | undefined {
  const split = sealed.length - TAG_SIZE;
  const decipher = createDecipheriv('chacha20-poly1305', key, chunkNonce(counter, last), {
    authTagLength: TAG_SIZE,
  });
  decipher.setAuthTag(sealed.subarray(split));
  const plain = decipher.update(sealed.subarray(0, split));
  try {
    decipher.final();
  } catch {
    return undefined;
  }
  return plain;
}
