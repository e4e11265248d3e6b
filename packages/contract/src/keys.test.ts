import { describe, expect, it } from 'vitest';
import { InvalidKeyError, TricopyError } from './errors.js';
import { assertSafeKey, assertSafePrefix } from './keys.js';

describe('assertSafeKey', () => {
  it.each(['a', 'app/2026/x.sqlite.gz', 'a b/c-d_e.json', 'ünïcode/ключ'])('accepts %j', (key) => {
    expect(() => assertSafeKey(key)).not.toThrow();
  });

  it.each([
    ['', 'empty'],
    ['/etc/passwd', 'absolute'],
    ['../x', '".." segment'],
    ['a/../../x', '".." segment'],
    ['a/./x', '"." segment'],
    ['a//b', 'empty segment'],
    ['a/', 'empty segment'],
    ['a\0b', 'NUL'],
    ['a\\b', 'backslash'],
    ['C:x', 'drive letter'],
  ])('rejects %j (%s)', (key, reason) => {
    let caught: unknown;
    try {
      assertSafeKey(key);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidKeyError);
    expect(TricopyError.hasCode(caught, 'INVALID_KEY')).toBe(true);
    expect((caught as Error).message).toContain(reason);
  });

  it('accepts an empty prefix and a trailing slash, rejects escapes', () => {
    expect(() => assertSafePrefix('')).not.toThrow();
    expect(() => assertSafePrefix('app/')).not.toThrow();
    expect(() => assertSafePrefix('../')).toThrow(InvalidKeyError);
  });
});
