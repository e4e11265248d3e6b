import { describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { ConfigError } from '../util/errors.js';
import { parseConfig } from './load.js';

const FILE = '/etc/tricopy/tricopy.yaml';
const config = (catalog: string) => `catalog: ${JSON.stringify(catalog)}
destinations:
  d: { type: local, path: /tmp/tricopy-config-test }
jobs:
  a:
    source: { type: sqlite, path: /tmp/a.db }
    destinations: [d]
`;

describe('config: catalog is a file or a postgres:// URL', () => {
  it('a URL is a database, never a file relative to the config', async () => {
    const url = 'postgres://tricopy:s3cret-pw@db.lan:5432/tricopy';
    const loaded = await parseConfig(config(url), FILE, {}, TEST_PLUGINS);
    expect(loaded.catalogUrl).toBe(url);
    expect(loaded.catalogPath).not.toContain('postgres');
    expect(loaded.redactor.redact(`cannot connect to ${url}`)).toBe(
      'cannot connect to postgres://tricopy:***@db.lan:5432/tricopy',
    );
  });

  it('the password may come from the environment, and is redacted then too', async () => {
    const loaded = await parseConfig(
      config('postgresql://tricopy:${PGPW}@db.lan/tricopy'),
      FILE,
      { PGPW: 'from-env-pw' },
      TEST_PLUGINS,
    );
    expect(loaded.catalogUrl).toBe('postgresql://tricopy:from-env-pw@db.lan/tricopy');
    expect(loaded.redactor.redact('from-env-pw')).toBe('***');
  });

  it('a path stays a SQLite file beside the config', async () => {
    const loaded = await parseConfig(config('state/catalog.db'), FILE, {}, TEST_PLUGINS);
    expect(loaded.catalogUrl).toBeUndefined();
    expect(loaded.catalogPath).toBe('/etc/tricopy/state/catalog.db');
  });

  it.each([
    ['postgres://tricopy:pw-not-shown@/tricopy', 'catalog: not a valid URL'],
    ['postgres://tricopy:pw-not-shown@db.lan', 'catalog: the URL names no database'],
    ['postgres://tricopy:pw-not-shown@db.lan:notaport/x', 'catalog: not a valid URL'],
  ])('%s is refused with what to fix, its password not shown', async (url, problem) => {
    const error = await parseConfig(config(url), FILE, {}, TEST_PLUGINS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(problem);
    expect((error as Error).message).not.toContain('pw-not-shown');
  });
});
