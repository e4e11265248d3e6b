import { lstat, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { METRICS_CONTENT_TYPE, renderMetrics, writeTextfile } from './metrics.js';

describe('metrics', () => {
  it("names prom-client's content type without loading prom-client at start-up", () => {
    expect(METRICS_CONTENT_TYPE).toBe(new Registry().contentType);
  });

  it('renders the registry, loaded on first use', async () => {
    expect(await renderMetrics([])).toContain('# TYPE tricopy_runs_total counter');
  });
});

describe('writeTextfile', () => {
  it('never writes through a symlink planted in the textfile folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tricopy-textfile-'));
    try {
      const victim = join(dir, 'shadow');
      await writeFile(victim, 'root:secret\n', { mode: 0o600 });
      // The temporary names an older tricopy used, and the target itself, all pointing at the victim.
      await symlink(victim, join(dir, `.tricopy.prom.${process.pid}.tmp`));
      await symlink(victim, join(dir, 'tricopy.prom'));
      await writeTextfile(join(dir, 'tricopy.prom'), []);
      expect(await readFile(victim, 'utf8')).toBe('root:secret\n');
      expect((await lstat(join(dir, 'tricopy.prom'))).isFile()).toBe(true);
      expect(await readFile(join(dir, 'tricopy.prom'), 'utf8')).toContain('tricopy_runs_total');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
