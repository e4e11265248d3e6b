import { TricopyError } from './tricopy-error.js';

const MARKER = 'tricopy.error.InvalidKeyError';
const SYMBOL = Symbol.for(MARKER);

/** A key that is empty, absolute, has `.`/`..` segments, backslashes or NUL bytes. */
export class InvalidKeyError extends TricopyError {
  readonly [SYMBOL] = true;
  constructor(key: string, reason: string) {
    super('INVALID_KEY', `invalid key ${JSON.stringify(key)}: ${reason}`);
    this.name = 'InvalidKeyError';
  }

  static override isInstance(value: unknown): value is InvalidKeyError {
    return TricopyError.hasMarker(value, MARKER);
  }
}
