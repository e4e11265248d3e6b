import { homedir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@tricopy/contract';
import { describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { ConfigError } from '../util/errors.js';
import { parseConfig } from './load.js';

const FILE = '/etc/tricopy/tricopy.yaml';

function config(job: string, extra = ''): string {
  return `destinations:
  d: { type: local, path: /tmp/tricopy-config-test }
jobs:
  a:
    source: { type: sqlite, path: /tmp/a.db }
    destinations: [d]
${job}${extra}`;
}

async function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    await parseConfig(text, FILE, env, TEST_PLUGINS);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('config: checked up front', () => {
  it.each([
    ['    schedule: "61 * * * *"\n', 'jobs.a.schedule: "61 * * * *" is not a cron expression'],
    ['    schedule: "every day"\n', 'jobs.a.schedule: "every day" is not a cron expression'],
    ['    schedule: "0 2 30 2 *"\n', 'jobs.a.schedule: "0 2 30 2 *" never runs'],
    [
      '    schedule: "0 2 * * *"\n    timezone: Europe/Berln\n',
      'jobs.a.timezone: unknown time zone "Europe/Berln"',
    ],
    ['    timeout: 30d\n', 'jobs.a.timeout: must be at most 24d'],
    ['    timeout: 0s\n', 'jobs.a.timeout: must be more than 0'],
    [
      '    compression: gzip\n    compressionLevel: 15\n',
      'jobs.a.compressionLevel: gzip levels go from 1 to 9',
    ],
    [
      '    compression: none\n    compressionLevel: 3\n',
      'jobs.a.compressionLevel: compression: none takes no level',
    ],
  ])('refuses %j', async (lines, expected) => {
    expect(await problemsOf(config(lines))).toContain(`${FILE}: ${expected}`);
  });

  it('takes verify windows from the job, else from policy.verify key by key; a bad one names its key', async () => {
    const text = config('    verify: { deep: 7d }\n', 'policy: { verify: { deep: 1d, restoreTest: 30d } }\n');
    const loaded = await parseConfig(text, FILE, {}, TEST_PLUGINS);
    expect(loaded.jobs.get('a')?.verifyEvery).toEqual({
      deepMs: 7 * 86_400_000,
      restoreTestMs: 30 * 86_400_000,
    });
    expect(await problemsOf(config('    verify: { deep: weekly }\n'))).toMatch(
      /jobs\.a\.verify\.deep: expected a duration/,
    );
    expect(await problemsOf(config('', 'policy: { verify: { restoreTest: 0s } }\n'))).toContain(
      'policy.verify.restoreTest: must be more than 0',
    );
    expect(await problemsOf(config('    verify: { shallow: 1d }\n'))).toMatch(/jobs\.a\.verify: .*shallow/);
  });

  it('reads anomaly thresholds as 50% or 0.5; a share out of range names its key', async () => {
    const text = config('    anomalies: { tableShrink: 90%, sizeShrink: 0.75, sizeGrowth: 300% }\n');
    const loaded = await parseConfig(text, FILE, {}, TEST_PLUGINS);
    expect(loaded.jobs.get('a')?.anomalies).toEqual({
      tableShrink: 0.9,
      minRows: 100,
      sizeShrink: 0.75,
      sizeGrowth: 3,
    });
    expect(await problemsOf(config('    anomalies: { tableShrink: 150% }\n'))).toContain(
      `${FILE}: jobs.a.anomalies.tableShrink: expected a share such as 50% or 0.5 (at most 100%)`,
    );
    expect(await problemsOf(config('    anomalies: { sizeGrowth: lots }\n'))).toContain(
      'jobs.a.anomalies.sizeGrowth: expected a share such as 50% or 0.5',
    );
  });

  it('refuses a stallTimeout a timer cannot hold', async () => {
    expect(await problemsOf(config('', 'stallTimeout: 30d\n'))).toContain(
      'stallTimeout: must be at most 24d',
    );
  });

  it('accepts a valid schedule, time zone, level and long timeout', async () => {
    const loaded = await parseConfig(
      config(
        '    schedule: "0 2 * * *"\n    timezone: Europe/Berlin\n    compression: gzip\n    compressionLevel: 9\n    timeout: 24d\n',
      ),
      FILE,
      {},
      TEST_PLUGINS,
    );
    expect(loaded.jobs.get('a')?.timeoutMs).toBe(24 * 86_400_000);
  });

  it.each(['${HOME:-x}', '${ HOME }', 'x${'])('refuses the broken variable form %j', async (form) => {
    const text = config('').replace('/tmp/a.db', `"${form}"`);
    expect(await problemsOf(text, { HOME: '/root' })).toContain('jobs.a.source.path: ');
    expect(await problemsOf(text, { HOME: '/root' })).toContain('is not a variable reference');
  });

  it('keeps $${ as a literal ${', async () => {
    const loaded = await parseConfig(
      config('').replace('/tmp/a.db', '"/tmp/$${x}.db"'),
      FILE,
      {},
      TEST_PLUGINS,
    );
    expect(loaded.jobs.get('a')?.source.options).toMatchObject({ path: '/tmp/${x}.db' });
  });

  it('refuses an unknown YAML tag in one line with its position', async () => {
    const message = await problemsOf(config('').replace('/tmp/a.db', '!secret /tmp/a.db'));
    expect(message).toContain(`${FILE}: line 5, column`);
    expect(message).toContain('!secret');
    expect(message.split('\n')).toHaveLength(1);
  });

  it('names the file of an unresolved YAML alias', async () => {
    const message = await problemsOf(config('    retention: *nope\n'));
    expect(message).toContain(FILE);
    expect(message).toContain('nope');
  });

  it('refuses a job named __proto__ instead of dropping it', async () => {
    const text = `${config('')}  __proto__:\n    source: { type: sqlite, path: /tmp/b.db }\n    destinations: [d]\n`;
    expect(await problemsOf(text)).toContain('jobs.__proto__: names use letters');
  });

  it('makes only the job whose source uses an unset variable unusable', async () => {
    const text = `${config('')}  b:\n    source: { type: sqlite, path: "\${B_PATH}" }\n    destinations: [d]\n`;
    const loaded = await parseConfig(text, FILE, {}, TEST_PLUGINS);
    expect(loaded.jobs.get('a')?.unusable).toBeUndefined();
    expect(loaded.jobs.get('b')?.unusable).toBe('jobs.b.source.path: environment variable B_PATH is not set');
  });

  it('leaves out only the notify target that uses an unset variable, naming it for the jobs it reaches', async () => {
    const text = `${config('    notify: [{ type: webhook, url: "${HOOK}" }]\n')}  b:
    source: { type: sqlite, path: /tmp/b.db }
    destinations: [d]
notify:
  - { type: healthcheck, url: "https://hc.example/\${HC_UUID}" }
  - { type: webhook, url: "https://hooks.example/ok" }
`;
    const loaded = await parseConfig(text, FILE, {}, TEST_PLUGINS);
    expect(loaded.jobs.get('a')?.notifyUnusable).toEqual([
      'jobs.a.notify[0].url: environment variable HOOK is not set',
      'notify[0].url: environment variable HC_UUID is not set',
    ]);
    expect(loaded.jobs.get('b')?.notifyUnusable).toEqual([
      'notify[0].url: environment variable HC_UUID is not set',
    ]);
    expect(loaded.jobs.get('b')?.notify).toEqual([
      { type: 'webhook', url: 'https://hooks.example/ok', on: ['failure', 'degraded'] },
    ]);
  });

  it('still refuses an unset variable outside job sources and destinations', async () => {
    expect(await problemsOf(config('', 'workDir: "${WORK}"\n'))).toContain(
      'workDir: environment variable WORK is not set',
    );
  });
});

describe('config: YAML errors', () => {
  it('gives one line with the line number and a hint for an unquoted ${ in a flow map', async () => {
    const text = config('').replace('path: /tmp/a.db', 'path: /tmp/a.db, password: ${PGPASS}');
    const message = await problemsOf(text, { PGPASS: 'x' });
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain(`${FILE}: line 5, column`);
    expect(message).toContain('quote values that contain ${');
  });
});

describe('config: paths', () => {
  const SFTP = `destinations:
  nas:
    type: sftp
    host: nas.lan
    username: backup
    password: "\${NAS_PASSWORD}"
    privateKey: ~/.ssh/tricopy-test-missing-key
    path: /volume1/tricopy
    insecureAcceptAnyHostKey: true
jobs:
  a:
    source: { type: sqlite, path: ~/app.db }
    destinations: [nas]
workDir: ~/tricopy-work
`;

  it('~ is the home folder, and a key path in an error is not masked', async () => {
    const loaded = await parseConfig(SFTP, FILE, { NAS_PASSWORD: 'nas-secret-1' }, TEST_PLUGINS);
    expect(loaded.workDir).toBe(join(homedir(), 'tricopy-work'));
    const spec = loaded.destinations.get('nas');
    const context = {
      name: 'nas',
      configDir: '/etc/tricopy',
      workDir: '/tmp',
      logger: silentLogger,
      redact: (text: string) => loaded.redactor.redact(text),
    };
    const error = await Promise.resolve(spec?.plugin.create(spec.options, context)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    const keyPath = join(homedir(), '.ssh/tricopy-test-missing-key');
    expect(error?.message).toContain(`cannot read privateKey ${keyPath}`);
    expect(loaded.redactor.redact(error?.message ?? '')).toContain(keyPath);
    expect(loaded.redactor.redact('password nas-secret-1')).toBe('password ***');
  });
});

describe('config: plugin types', () => {
  it.each([
    ['source', 'postgress', 'postgres'],
    ['source', 'SQLite', 'sqlite'],
    ['destination', 'sfpt', 'sftp'],
  ])('a %s typed %j is answered with "did you mean %s", never npm install', async (kind, typed, meant) => {
    const text =
      kind === 'source'
        ? config('').replace('type: sqlite', `type: ${typed}`)
        : config('').replace('type: local', `type: ${typed}`);
    const message = await problemsOf(text);
    expect(message).toContain(`did you mean "${meant}"?`);
    expect(message).not.toContain('npm install');
  });

  it('a name far from every built-in still says where it was looked for', async () => {
    const message = await problemsOf(config('').replace('type: local', 'type: tricopy-destination-webdav'));
    expect(message).toContain('not found');
    expect(message).not.toContain('did you mean');
  });
});
