import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const HEAP = fileURLToPath(new URL('../dist/heap.js', import.meta.url));
const MiB = 1024 * 1024;

/** Size of V8's young generation after churning through short-lived objects, in a fresh node. */
function youngGenerationAfterChurn(options: { loadHeap: boolean; nodeOptions?: string }): number {
  const script = `
    ${options.loadHeap ? `await import(${JSON.stringify(HEAP)});` : ''}
    const { getHeapSpaceStatistics } = await import('node:v8');
    let kept = [];
    for (let i = 0; i < 3e6; i++) { kept.push({ i }); if (kept.length > 1e5) kept = []; }
    console.log(getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
  `;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...(options.nodeOptions && { NODE_OPTIONS: options.nodeOptions }) },
  });
  return Number(stdout.trim());
}

describe('heap', () => {
  it('keeps the young generation small while a backup churns through buffers', () => {
    // Measured here: 32–64 MiB without the settings; 2–3 MiB with them, 6 MiB once on a loaded machine.
    expect(youngGenerationAfterChurn({ loadHeap: false })).toBeGreaterThan(16 * MiB);
    expect(youngGenerationAfterChurn({ loadHeap: true })).toBeLessThanOrEqual(16 * MiB);
  });

  it('leaves the young generation alone when the user sized it', () => {
    expect(
      youngGenerationAfterChurn({ loadHeap: true, nodeOptions: '--max-semi-space-size=16' }),
    ).toBeGreaterThan(8 * MiB);
  });
});

describe('heapFlags', () => {
  const SWEEP = '--no-concurrent-array-buffer-sweeping';

  it('sets a fixed young generation, old-generation growth and buffer sweeping by default', async () => {
    const { heapFlags } = await import('./heap.js');
    expect(heapFlags([], undefined)).toEqual([
      '--semi-space-growth-factor=1',
      '--heap-growing-percent=100',
      SWEEP,
    ]);
  });

  it("keeps the user's own settings, given to node or in NODE_OPTIONS", async () => {
    const { heapFlags } = await import('./heap.js');
    expect(heapFlags(['--max-semi-space-size=8'], undefined)).toEqual(['--heap-growing-percent=100', SWEEP]);
    expect(
      heapFlags(
        ['--heap-growing-percent=50', '--concurrent-array-buffer-sweeping'],
        '--min-semi-space-size=2',
      ),
    ).toEqual([]);
    expect(heapFlags([], '--heap_growing_percent=300')).toEqual(['--semi-space-growth-factor=1', SWEEP]);
  });

  it('sets only flags this Node knows (an unknown one is an error line on every run)', () => {
    const result = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `await import(${JSON.stringify(HEAP)});`],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
