import { TricopyError } from './tricopy-error.js';

const MARKER = 'tricopy.error.NotFoundError';
const SYMBOL = Symbol.for(MARKER);

/** `get` or `stat`-dependent operations on a key that does not exist. */
export class NotFoundError extends TricopyError {
  readonly [SYMBOL] = true;
  readonly key: string;
  constructor(key: string, where: string) {
    super('NOT_FOUND', `${where}: no object under key "${key}"`);
    this.name = 'NotFoundError';
    this.key = key;
  }

  static override isInstance(value: unknown): value is NotFoundError {
    return TricopyError.hasMarker(value, MARKER);
  }
}
