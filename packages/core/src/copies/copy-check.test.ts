import { describe, expect, it } from 'vitest';
import { judgeCopy } from './copy-check.js';

const expected = { size: 10, sha256: 'a'.repeat(64) };
const other = 'b'.repeat(64);

describe('judgeCopy', () => {
  it('passes a copy every piece of evidence agrees on, saying how it was checked', () => {
    const check = judgeCopy(expected, {
      put: { size: 10, sha256: expected.sha256, location: '/k' },
      stat: { key: 'k', size: 10 },
    });
    expect(check).toEqual({
      ok: true,
      size: 10,
      sha256: expected.sha256,
      hashed: true,
      how: 'size, read-back sha256, stat',
    });
  });

  it('fails a copy stat does not find', () => {
    expect(judgeCopy(expected, { stat: null })).toMatchObject({ ok: false, kind: 'missing' });
  });

  it('fails a wrong size before a wrong hash', () => {
    expect(judgeCopy(expected, { stat: { key: 'k', size: 9, sha256: other } })).toMatchObject({
      ok: false,
      kind: 'size-mismatch',
      actualSize: 9,
    });
  });

  it('fails bytes read back with another SHA-256', () => {
    expect(judgeCopy(expected, { read: { size: 10, sha256: other } })).toMatchObject({
      ok: false,
      kind: 'checksum-mismatch',
      actualSha256: other,
    });
  });

  it('fails a destination that declares a stored SHA-256 and gives none', () => {
    const check = judgeCopy(expected, { capabilities: { storedSha256: true }, stat: { key: 'k', size: 10 } });
    expect(check).toMatchObject({ ok: false, kind: 'no-checksum' });
  });

  it('passes size-only evidence as not hashed', () => {
    expect(judgeCopy(expected, { stat: { key: 'k', size: 10 } })).toMatchObject({ ok: true, hashed: false });
  });
});
