import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath, isExecutable } from './executable.js';

let dir: string;
const at = (...parts: string[]) => join(dir, ...parts);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'executable-'));
  await Promise.all(['first', 'second', 'plain'].map((folder) => mkdir(at(folder))));
  await writeFile(at('first', 'tool'), 'not executable');
  await writeFile(at('second', 'tool'), '#!/bin/sh\n');
  await chmod(at('second', 'tool'), 0o755);
  await writeFile(at('plain', 'tool'), '#!/bin/sh\n');
  await chmod(at('plain', 'tool'), 0o755);
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('isExecutable', () => {
  it('is true for an executable file and false for a file without the x bit or a missing one', () => {
    expect(isExecutable(at('second', 'tool'))).toBe(true);
    expect(isExecutable(at('first', 'tool'))).toBe(false);
    expect(isExecutable(at('missing'))).toBe(false);
  });
});

describe('findOnPath', () => {
  it('returns the first executable match in PATH order, passing over a non-executable one', () => {
    const searchPath = [at('first'), at('second'), at('plain')].join(delimiter);
    expect(findOnPath('tool', searchPath)).toBe(at('second', 'tool'));
  });

  it('skips empty PATH entries and gives undefined when nothing matches', () => {
    expect(findOnPath('tool', `${delimiter}${at('first')}${delimiter}`)).toBeUndefined();
    expect(findOnPath('tool', '')).toBeUndefined();
  });

  it('reads the process PATH by default', () => {
    const saved = process.env.PATH;
    process.env.PATH = at('plain');
    try {
      expect(findOnPath('tool')).toBe(at('plain', 'tool'));
    } finally {
      process.env.PATH = saved;
    }
  });
});
