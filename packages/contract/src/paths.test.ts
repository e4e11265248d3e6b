import { describe, expect, it } from 'vitest';
import { resolveConfigPath } from './paths.js';

describe('resolveConfigPath', () => {
  it.each([
    ['~/.ssh/id_ed25519', '/home/ops/.ssh/id_ed25519'],
    ['~', '/home/ops'],
    ['/var/backups', '/var/backups'],
    ['./app.db', '/etc/tricopy/app.db'],
    ['app.db', '/etc/tricopy/app.db'],
    ['~other/x', '/etc/tricopy/~other/x'],
  ])('%s is %s', (path, expected) => {
    expect(resolveConfigPath('/etc/tricopy', path, '/home/ops')).toBe(expected);
  });
});
