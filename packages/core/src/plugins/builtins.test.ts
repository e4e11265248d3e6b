import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { parseConfig } from '../config/load.js';
import { NO_BUILTIN_PLUGINS } from './builtins.js';

const CONFIG = `
destinations:
  primary: { type: local, path: ./d }
jobs:
  app:
    source: { type: ./no-such-source.js }
    destinations: [primary]
`;

describe('core knows no plugin', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-builtins-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('lists no plugin package among its dependencies of any kind', () => {
    const manifest = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as Record<string, Record<string, string> | undefined>;
    const names = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'].flatMap(
      (field) => Object.keys(manifest[field] ?? {}),
    );
    expect(names.filter((name) => /^@tricopy\/(source|destination)-/.test(name))).toEqual([]);
  });

  it('resolves a short type only through the table it is handed', async () => {
    const without = parseConfig(CONFIG, join(dir, 'tricopy.yaml'), {}, NO_BUILTIN_PLUGINS);
    await expect(without).rejects.toThrow(
      /destinations\.primary\.type: destination plugin "local" not found: expected an npm package/,
    );
    const withTable = parseConfig(CONFIG, join(dir, 'tricopy.yaml'), {}, TEST_PLUGINS);
    await expect(withTable).rejects.toThrow(/jobs\.app\.source\.type/);
    await expect(withTable).rejects.not.toThrow(/destinations\.primary/);
  });
});
