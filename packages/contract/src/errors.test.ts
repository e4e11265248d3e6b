import { describe, expect, it } from 'vitest';
import {
  DestinationError,
  InvalidKeyError,
  isRetryable,
  NotFoundError,
  SourceError,
  TricopyError,
} from './errors.js';

describe('error markers', () => {
  const all = {
    NotFoundError: new NotFoundError('k', 'w'),
    InvalidKeyError: new InvalidKeyError('/k', 'absolute'),
    SourceError: new SourceError('s'),
    DestinationError: new DestinationError('d'),
  };
  const classes = { NotFoundError, InvalidKeyError, SourceError, DestinationError };

  it('each isInstance answers true only for its own class', () => {
    for (const [className, cls] of Object.entries(classes)) {
      for (const [errorName, error] of Object.entries(all)) {
        expect(cls.isInstance(error), `${className}.isInstance(${errorName})`).toBe(className === errorName);
      }
    }
  });

  it('TricopyError.isInstance is true for every one of them, and false for a plain Error', () => {
    for (const error of Object.values(all)) expect(TricopyError.isInstance(error)).toBe(true);
    expect(TricopyError.isInstance(new Error('x'))).toBe(false);
    expect(DestinationError.isInstance(null)).toBe(false);
  });

  it('a marker works across copies of the package (a plain object carrying the symbol)', () => {
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('tricopy.error')]: true,
      [Symbol.for('tricopy.error.DestinationError')]: true,
      retryable: true,
    });
    expect(DestinationError.isInstance(foreign)).toBe(true);
    expect(SourceError.isInstance(foreign)).toBe(false);
  });

  it('isRetryable reads a DestinationError’s flag and treats other errors as transient', () => {
    expect(isRetryable(new DestinationError('host key mismatch'))).toBe(false);
    expect(isRetryable(new DestinationError('reset', { retryable: true }))).toBe(true);
    expect(isRetryable(new Error('ECONNRESET'))).toBe(true);
  });
});
