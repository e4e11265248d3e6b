import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { parseConfig } from '../config/load.js';
import { configWithRemovedJob } from './removed-job.js';

const YAML = `destinations:\n  d: { type: local, path: ./d }\njobs:\n  kept:\n    source: { type: sqlite, path: ./a.db }\n    destinations: [d]\n`;

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('a removed job restored with the source type its backups were made with', () => {
  it('a type that is neither built in nor configured (from a forged manifest) is refused, its module never loaded', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-removed-'));
    const marker = join(dir, 'ran');
    await writeFile(
      join(dir, 'evil.mjs'),
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\n`,
    );
    const config = await parseConfig(YAML, join(dir, 'tricopy.yaml'), {}, TEST_PLUGINS);
    await expect(configWithRemovedJob(config, 'gone', './evil.mjs', {}, {})).rejects.toThrow(
      /source type "\.\/evil\.mjs", which is neither a built-in \(sqlite, postgres, mysql\) nor the plugin of a job in the config.*add job "gone" back to the config/,
    );
    expect(await readFile(marker, 'utf8').catch(() => 'never ran')).toBe('never ran');
  });

  it('a built-in type is loaded as before', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-removed-'));
    const config = await parseConfig(YAML, join(dir, 'tricopy.yaml'), {}, TEST_PLUGINS);
    const restored = await configWithRemovedJob(config, 'gone', 'sqlite', { path: './gone.db' }, {});
    expect(restored.jobs.get('gone')?.source.type).toBe('sqlite');
  });
});
