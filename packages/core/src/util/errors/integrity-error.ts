import { TricopyError } from '@tricopy/contract';

const MARKER = 'tricopy.error.IntegrityError';
const SYMBOL = Symbol.for(MARKER);

/** Stored data that is not what it should be: a damaged catalog, a copy that does not match or decrypt. */
export class IntegrityError extends TricopyError {
  readonly [SYMBOL] = true;
  constructor(message: string) {
    super('INTEGRITY', message);
    this.name = 'IntegrityError';
  }

  static override isInstance(value: unknown): value is IntegrityError {
    return TricopyError.hasMarker(value, MARKER);
  }
}
