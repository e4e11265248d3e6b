import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { ConfigError } from '../util/errors.js';
import { describeUnset, interpolateEnv } from './interpolate.js';
import { parseConfig } from './load.js';

const root = mkdtempSync(join(tmpdir(), 'tricopy-secret-sources-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const secret = (name: string, text: string) => {
  const path = join(root, name);
  writeFileSync(path, text, { mode: 0o400 });
  return path;
};
// As systemd lays out LoadCredential=: a 0700 folder of 0400 files named after the credentials.
const credentials = join(root, 'credentials');
mkdirSync(credentials, { mode: 0o700 });
writeFileSync(join(credentials, 'pg'), 'from-credential\n', { mode: 0o400 });
const pgFile = secret('pg', 'from-file\n');

const FILE = '/etc/tricopy/tricopy.yaml';

describe('${file:…} and ${credential:…}', () => {
  it('reads a file and a systemd credential, dropping one trailing newline, and keeps them as secrets', () => {
    const result = interpolateEnv(
      {
        a: `\${file:${pgFile}}`,
        b: 'x-${credential:pg}-y',
        crlf: `\${file:${secret('crlf', 'one\r\n')}}`,
        two: `\${file:${secret('two', 'two\n\n')}}`,
        bare: `\${file:${secret('bare', 'bare')}}`,
      },
      { CREDENTIALS_DIRECTORY: credentials },
    );
    expect(result.unset).toEqual([]);
    expect(result.value).toEqual({
      a: 'from-file',
      b: 'x-from-credential-y',
      crlf: 'one',
      two: 'two\n',
      bare: 'bare',
    });
    expect([...result.credentials]).toEqual(['pg']);
    expect([...result.secrets].sort()).toEqual(['bare', 'from-credential', 'from-file', 'one', 'two\n']);
    expect(result.variables.size).toBe(0);
  });

  it.each([
    [
      `\${file:${join(root, 'missing')}}`,
      {},
      `cannot read file ${join(root, 'missing')}: ENOENT, no such file`,
    ],
    ['${file:run/secrets/pg}', {}, 'file run/secrets/pg: the path must be absolute'],
    [`\${file:${root}}`, {}, `cannot read file ${root}: not a regular file`],
    [
      '${credential:pg}',
      {},
      'systemd credential pg: $CREDENTIALS_DIRECTORY is not set: run tricopy from a systemd unit with LoadCredential=pg:PATH',
    ],
    [
      '${credential:nope}',
      { CREDENTIALS_DIRECTORY: credentials },
      `cannot read systemd credential nope (${join(credentials, 'nope')}): ENOENT`,
    ],
    [
      '${credential:../pg}',
      { CREDENTIALS_DIRECTORY: credentials },
      'systemd credential ../pg: a credential name is a file name',
    ],
  ])('names the key and what to fix when %s gives no value', (reference, env, why) => {
    const result = interpolateEnv({ jobs: { app: { source: { password: reference } } } }, env);
    expect(result.unset).toHaveLength(1);
    const message = describeUnset(result.unset[0] as (typeof result.unset)[number]);
    expect(message).toContain(`jobs.app.source.password: ${why}`);
  });

  it('reports an empty reference as malformed, like any other ${ form', () => {
    expect(interpolateEnv({ a: '${file:}' }, {}).problems[0]).toContain(
      '"${file:}" is not a variable reference',
    );
  });
});

describe('config with secret sources', () => {
  const config = (bSource: string, extra = '') => `destinations:
  d: { type: local, path: /tmp/tricopy-config-test }
jobs:
  a:
    source: { type: sqlite, path: /tmp/a.db }
    destinations: [d]
  b:
    source: { type: sqlite, path: "${bSource}" }
    destinations: [d]
${extra}`;

  it('makes only the job whose source reads a missing file unusable, naming the key and the fix', async () => {
    const loaded = await parseConfig(config('${file:/run/secrets/nope}'), FILE, {}, TEST_PLUGINS);
    expect(loaded.jobs.get('a')?.unusable).toBeUndefined();
    expect(loaded.jobs.get('b')?.unusable).toBe(
      'jobs.b.source.path: cannot read file /run/secrets/nope: ENOENT, no such file (create it, or fix the path)',
    );
  });

  it('makes only the job unusable when ${credential:…} runs without $CREDENTIALS_DIRECTORY', async () => {
    const loaded = await parseConfig(config('${credential:pg}'), FILE, {}, TEST_PLUGINS);
    expect(loaded.jobs.get('a')?.unusable).toBeUndefined();
    expect(loaded.jobs.get('b')?.unusable).toContain(
      'jobs.b.source.path: systemd credential pg: $CREDENTIALS_DIRECTORY',
    );
    expect(loaded.credentials).toEqual(['pg']);
  });

  it('keeps the reason readable when a key named like a secret reads a credential that is not there', async () => {
    const notify = 'notify: [{ type: ntfy, url: "https://ntfy.sh/backups", token: "${credential:ntfy}" }]\n';
    const loaded = await parseConfig(config('/tmp/b.db', notify), FILE, {}, TEST_PLUGINS);
    const [reason] = loaded.jobs.get('a')?.notifyUnusable ?? [];
    expect(reason).toContain('notify[0].token: systemd credential ntfy: $CREDENTIALS_DIRECTORY is not set');
    expect(loaded.redactor.redact(reason as string)).toBe(reason);
  });

  it('redacts a value read from a file or credential wherever it is used, whatever the key is called', async () => {
    const loaded = await parseConfig(
      config('/tmp/${credential:pg}'),
      FILE,
      { CREDENTIALS_DIRECTORY: credentials },
      TEST_PLUGINS,
    );
    expect(loaded.jobs.get('b')?.unusable).toBeUndefined();
    expect(loaded.redactor.redact('login as from-credential failed')).toBe('login as *** failed');
  });

  it('refuses an unreadable source outside job sources and destinations as a config error naming the key', async () => {
    const error = await parseConfig(
      config('/tmp/b.db', 'workDir: "${file:relative/dir}"\n'),
      FILE,
      {},
      TEST_PLUGINS,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('workDir: file relative/dir: the path must be absolute');
  });
});
