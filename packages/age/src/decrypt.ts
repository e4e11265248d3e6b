import { Transform, type TransformCallback } from 'node:stream';
import { Chunker } from './chunker.js';
import { AgeDecryptError } from './errors.js';
import { headerEnd, unwrapHeader } from './header.js';
import { CHUNK_SIZE, NONCE_SIZE, openChunk, payloadKey, TAG_SIZE } from './stream-cipher.js';

const SEALED_CHUNK = CHUNK_SIZE + TAG_SIZE;
/** A header longer than this is refused (a real one is a few hundred bytes a recipient). */
const MAX_HEADER = 1024 * 1024;

/**
 * A stream that decrypts an age file with `identities` (`AGE-SECRET-KEY-1…` strings). Fails with an
 * AgeDecryptError: `no-match` when no identity opens the header, `header` or `payload` when the file is damaged.
 * Only authenticated plaintext is passed on, a chunk at a time.
 */
export function createDecryptStream(identities: readonly string[]): Transform {
  return new DecryptStream((header) => unwrapHeader(identities, header));
}

/**
 * A stream that decrypts an age file made with a known header and file key (the encryptor's own, see
 * createEncryption): no identity needed. The header must be exactly the one written.
 */
export function createKnownKeyDecryptStream(header: Buffer, fileKey: Uint8Array): Transform {
  return new DecryptStream(async (found) => {
    if (!found.equals(header)) throw damaged('header', 'the header is not the one the encryptor wrote');
    return fileKey;
  });
}

/** The file key of a header, or an AgeDecryptError. */
type HeaderOpener = (header: Buffer) => Promise<Uint8Array>;

class DecryptStream extends Transform {
  readonly #openHeader: HeaderOpener;
  readonly #pending = new Chunker(SEALED_CHUNK);
  #key: Buffer | undefined;
  #counter = 0;
  #final = false;

  constructor(openHeader: HeaderOpener) {
    super();
    this.#openHeader = openHeader;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#pending.push(chunk);
    this.#step(false).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.#step(true).then(() => callback(), callback);
  }

  async #step(ended: boolean): Promise<void> {
    if (this.#key === undefined && !(await this.#readHeader(ended))) return;
    const key = this.#key as Buffer;
    for (const sealed of this.#pending.takeFull()) this.#open(key, sealed);
    if (!ended) return;
    if (this.#pending.length > 0) this.#open(key, this.#pending.rest());
    if (!this.#final) throw damaged('payload', 'the payload ends without its final chunk (truncated)');
  }

  /** Reads header and nonce once they are all there; true when the payload can start. */
  async #readHeader(ended: boolean): Promise<boolean> {
    const start = this.#pending.peek();
    const end = headerEnd(start);
    if (end === undefined || start.length < end + NONCE_SIZE) {
      if (ended || start.length > MAX_HEADER) throw damaged('header', 'the file ends inside its header');
      return false;
    }
    const header = this.#pending.take(end);
    const nonce = this.#pending.take(NONCE_SIZE);
    this.#key = payloadKey(await this.#openHeader(header), nonce);
    return true;
  }

  /**
   * Opens the next chunk. A full-size one may be the last (it is tried as a middle chunk first, as age does); a
   * shorter one must be. Nothing may follow the last chunk.
   */
  #open(key: Buffer, sealed: Buffer): void {
    if (this.#final) throw damaged('payload', 'there are bytes after the final chunk (trailing data)');
    if (sealed.length < TAG_SIZE) throw damaged('payload', 'the payload is truncated');
    if (sealed.length === TAG_SIZE && this.#counter > 0) {
      throw damaged('payload', 'the payload ends with an empty chunk');
    }
    let plain = sealed.length === SEALED_CHUNK ? openChunk(key, this.#counter, false, sealed) : undefined;
    if (plain === undefined) {
      plain = openChunk(key, this.#counter, true, sealed);
      this.#final = plain !== undefined;
    }
    if (plain === undefined) {
      throw damaged(
        'payload',
        `chunk ${this.#counter} failed authentication (damaged or truncated ciphertext)`,
      );
    }
    this.#counter++;
    if (plain.length > 0) this.push(plain);
  }
}

function damaged(failure: 'header' | 'payload', what: string, cause?: unknown): AgeDecryptError {
  return new AgeDecryptError(failure, `age: ${what}`, cause === undefined ? undefined : { cause });
}
