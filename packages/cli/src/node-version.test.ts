import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeVersionProblem } from './node-version.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const SYSTEM_NODE = '/usr/bin/node';

describe('the Node version check', () => {
  it('accepts 22.12 and newer, refuses older with what to do', () => {
    expect(nodeVersionProblem('22.12.0')).toBeUndefined();
    expect(nodeVersionProblem('24.22.3')).toBeUndefined();
    expect(nodeVersionProblem('26.1.0')).toBeUndefined();
    expect(nodeVersionProblem('22.11.0')).toMatch(
      /needs Node\.js 22\.12\.0 or newer .*this is Node 22\.11\.0/,
    );
    expect(nodeVersionProblem('20.20.0')).toMatch(/bash scripts\/setup\.sh and then \.\/tricopy/);
  });

  const oldNode =
    existsSync(SYSTEM_NODE) &&
    nodeVersionProblem(
      execFileSync(SYSTEM_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim(),
    ) !== undefined;
  it.runIf(oldNode && existsSync(BIN))(
    'the built CLI on an older Node exits 2 with one line, no stack trace',
    () => {
      const result = spawnSync(SYSTEM_NODE, [BIN, '--version'], { encoding: 'utf8' });
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^error: tricopy needs Node\.js 22\.12\.0 or newer/);
    },
  );
});
