import { InvalidKeyError } from './errors.js';

/**
 * Keys are relative, '/'-separated paths such as `app/20261122T020837Z-3f2a/manifest.json`.
 * They mean the same thing in every method of every destination, and can never escape the destination root.
 */
export function assertSafeKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidKeyError(String(key), 'empty');
  if (key.includes('\0')) throw new InvalidKeyError(key, 'contains a NUL byte');
  if (key.includes('\\')) throw new InvalidKeyError(key, 'contains a backslash');
  if (key.startsWith('/')) throw new InvalidKeyError(key, 'is absolute');
  if (/^[a-zA-Z]:/.test(key)) throw new InvalidKeyError(key, 'has a drive letter');
  for (const segment of key.split('/')) {
    if (segment === '') throw new InvalidKeyError(key, 'has an empty segment');
    if (segment === '.' || segment === '..') throw new InvalidKeyError(key, `has a "${segment}" segment`);
  }
}

/** A list prefix: '' (everything) or a safe key, optionally ending in '/'. */
export function assertSafePrefix(prefix: string): void {
  if (prefix === '') return;
  assertSafeKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}
