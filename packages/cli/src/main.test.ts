import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@tricopy/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { BUILTIN_PLUGINS } from './builtin-plugins.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { main } from './main.js';
import { formatTable } from './output.js';
import { STARTER_CONFIG } from './starter-config.js';

let dir: string;
let stderr: string;
let stdout: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-cli-'));
  stderr = '';
  stdout = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => main(['node', 'tricopy', ...args]);

describe('tricopy CLI', () => {
  it('maps run statuses to the documented exit codes', () => {
    expect([exitCodeFor('ok'), exitCodeFor('failed'), exitCodeFor('degraded')]).toEqual([0, 1, 3]);
    expect(EXIT.usage).toBe(2);
  });

  it('exits 2 on an unknown command or option', async () => {
    expect(await run('bakcup')).toBe(EXIT.usage);
    expect(await run('list', '--no-such-option')).toBe(EXIT.usage);
  });

  it('init writes a starter config that parses, and refuses to overwrite without --force', async () => {
    const config = join(dir, 'tricopy.yaml');
    expect(await run('init', '--config', config)).toBe(EXIT.ok);
    const written = parse(await readFile(config, 'utf8')) as {
      jobs: Record<string, unknown>;
      policy: unknown;
    };
    expect(Object.keys(written.jobs)).toEqual(['app']);
    expect(written.policy).toEqual({ copies: 3, media: 2, offsite: 1, enforce: 'warn' });

    await writeFile(config, 'mine');
    expect(await run('init', '--config', config)).toBe(EXIT.usage);
    expect(stderr).toContain('--force');
    expect(await readFile(config, 'utf8')).toBe('mine');
    expect(await run('init', '--config', config, '--force')).toBe(EXIT.ok);
  });

  it('--json errors are one JSON document on stdout with the problems listed', async () => {
    const config = join(dir, 'bad.yaml');
    await writeFile(
      config,
      'destinations: {}\njobs:\n  app:\n    source: { type: sqlite, path: ./x.db }\n    destinations: [nowhere]\n',
    );
    expect(await run('check', '--config', config, '--json')).toBe(EXIT.usage);
    const parsed = JSON.parse(stdout) as { error: { code: string; problems: string[] } };
    expect(parsed.error.code).toBe('CONFIG');
    expect(parsed.error.problems).toContain(
      'jobs.app.destinations[0]: unknown destination "nowhere" (known: none defined)',
    );
  });

  it('init --demo creates a database and a config that passes validation', async () => {
    expect(await run('init', '--demo', join(dir, 'demo'))).toBe(EXIT.ok);
    expect(existsSync(join(dir, 'demo', 'shop.db'))).toBe(true);
    expect(existsSync(join(dir, 'demo', 'backups'))).toBe(true);
  });
});

describe('the starter config', () => {
  it('every commented example holding a ${VAR} is valid YAML once uncommented', () => {
    const examples = STARTER_CONFIG.split('\n')
      .filter((line) => /^\s*#.*\$\{/.test(line) && /:\s*\{/.test(line))
      .map((line) => line.replace(/^(\s*)#\s?/, '$1'));
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const example of examples) expect(() => parse(example.trim()), example).not.toThrow();
  });

  it('loads as a config, ~/ included', async () => {
    await expect(
      parseConfig(STARTER_CONFIG, join(dir, 'tricopy.yaml'), {}, BUILTIN_PLUGINS),
    ).resolves.toBeDefined();
  });
});

describe('formatTable', () => {
  it('pads columns to their widest cell', () => {
    expect(formatTable(['a', 'bb'], [['long', 'x']]).split('\n')).toEqual([
      'a     bb',
      '----  --',
      'long  x',
    ]);
  });
});
