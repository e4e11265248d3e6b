import { describe, expect, it } from 'vitest';
import { folderOf, isDeadLeftover } from './sweep.js';

const now = new Date('2026-12-06T12:00:00Z');
const hourAgo = new Date(now.getTime() - 3_600_000);
const weekAgo = new Date(now.getTime() - 8 * 86_400_000);
const olderThan = new Date(now.getTime() - 7 * 86_400_000);

describe('isDeadLeftover: only what is provably dead is swept', () => {
  it('keeps a young leftover of a folder nobody says is abandoned (another process may be writing it)', () => {
    expect(isDeadLeftover({ olderThan }, 'app/20261206T115900Z-0a1b2c/', hourAgo)).toBe(false);
    expect(isDeadLeftover({ olderThan, abandoned: () => false }, 'app/x/', hourAgo)).toBe(false);
  });

  it('removes a leftover older than olderThan, whoever wrote it', () => {
    expect(isDeadLeftover({ olderThan }, 'app/x/', weekAgo)).toBe(true);
  });

  it('removes a young leftover of an abandoned folder, and only that folder', () => {
    const abandoned = (folder: string) => folder === 'app/mine/';
    expect(isDeadLeftover({ olderThan, abandoned }, 'app/mine/', hourAgo)).toBe(true);
    expect(isDeadLeftover({ olderThan, abandoned }, 'app/theirs/', hourAgo)).toBe(false);
  });

  it('keeps a leftover of unknown age unless its folder is abandoned', () => {
    expect(isDeadLeftover({ olderThan }, 'app/x/', undefined)).toBe(false);
    expect(isDeadLeftover({ olderThan, abandoned: () => true }, 'app/x/', undefined)).toBe(true);
  });
});

describe('folderOf', () => {
  it('is the key prefix up to and including the last slash', () => {
    expect(folderOf('app/id/app.dump')).toBe('app/id/');
    expect(folderOf('top')).toBe('');
  });
});
