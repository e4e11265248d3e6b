import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { Chunker } from './chunker.js';
import { createKnownKeyDecryptStream } from './decrypt.js';
import { newHeader } from './header.js';
import { CHUNK_SIZE, NONCE_SIZE, payloadKey, sealChunk } from './stream-cipher.js';

/**
 * A stream that age-encrypts what goes through it to `recipients` (age-encryption.org/v1): the header (wrapped and
 * MACed by typage), then the payload nonce and the STREAM payload (node:crypto ChaCha20-Poly1305). Holds at most one
 * chunk and a bit.
 */
export async function createEncryptStream(recipients: readonly string[]): Promise<Transform> {
  return (await createEncryption(recipients)).stream;
}

export interface Encryption {
  /** Encrypts what goes through it. */
  readonly stream: Transform;
  /** A new stream that decrypts exactly what `stream` writes, with its own file key: no identity needed. */
  readonly verifier: () => Transform;
}

/** An encrypting stream and a way to check its output in the stream, on a host that holds no identity. */
export async function createEncryption(recipients: readonly string[]): Promise<Encryption> {
  if (recipients.length === 0) throw new Error('age: no recipients to encrypt to');
  const { header, fileKey } = await newHeader(recipients);
  const nonce = randomBytes(NONCE_SIZE);
  return {
    stream: new EncryptStream(Buffer.concat([header, nonce]), payloadKey(fileKey, nonce)),
    verifier: () => createKnownKeyDecryptStream(header, fileKey),
  };
}

class EncryptStream extends Transform {
  readonly #key: Buffer;
  readonly #pending = new Chunker(CHUNK_SIZE);
  #start: Buffer | undefined;
  #counter = 0;

  constructor(start: Buffer, key: Buffer) {
    super();
    this.#start = start;
    this.#key = key;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#pending.push(chunk);
      for (const plain of this.#pending.takeFull()) this.#emit(plain, false);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.#emit(this.#pending.rest(), true);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  #emit(plain: Buffer, last: boolean): void {
    if (this.#start !== undefined) {
      this.push(this.#start);
      this.#start = undefined;
    }
    for (const part of sealChunk(this.#key, this.#counter++, last, plain)) {
      if (part.length > 0) this.push(part);
    }
  }
}
