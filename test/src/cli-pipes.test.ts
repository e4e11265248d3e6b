// stdout closed by its reader (`tricopy list | head -1`) is normal, not a crash.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, tricopy } from './cli.js';

let dir: string;
let demo: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-pipes-'));
  demo = join(dir, 'demo');
  expect((await tricopy(['init', '--demo', demo], { cwd: dir })).code).toBe(0);
  expect((await tricopy(['backup'], { cwd: demo })).code).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI with its stdout's reading end closed before it writes anything. */
function withClosedStdout(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: demo, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('a reader that stops early', () => {
  it.each(['list', 'list --json', '--help'])('tricopy %s ends quietly with exit 0', async (args) => {
    const result = await withClosedStdout(args.split(' '));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
