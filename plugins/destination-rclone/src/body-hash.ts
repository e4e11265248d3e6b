import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/** Passes bytes through unchanged while counting them and computing their SHA-256 and MD5. */
export class BodyHash extends Transform {
  size = 0;
  readonly #sha256 = createHash('sha256');
  readonly #md5 = createHash('md5');
  #digests: { sha256: string; md5: string } | undefined;

  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null, data?: Buffer) => void,
  ) {
    this.size += chunk.length;
    this.#sha256.update(chunk);
    this.#md5.update(chunk);
    callback(null, chunk);
  }

  /** The digests of everything passed through; call once the stream ended. */
  digests(): { sha256: string; md5: string } {
    this.#digests ??= { sha256: this.#sha256.digest('hex'), md5: this.#md5.digest('hex') };
    return this.#digests;
  }
}
