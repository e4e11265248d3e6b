import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { parseConfig } from '../config/load.js';
import type { NotifyTarget } from '../config/schema.js';
import { memoryLogger, recorder } from '../testing/http-recorder.js';
import { type NotifyEvent, notifyPayload } from './notify.js';

const TEXT = '❌ tricopy job app: FAILED (0/2 copies verified): <!channel> @everyone & co';

describe('ready notification payloads, against a local HTTP listener', () => {
  let http: Awaited<ReturnType<typeof recorder>>;
  beforeAll(async () => {
    http = await recorder();
  });
  afterAll(() => new Promise<void>((resolve) => http.server.close(() => resolve())));
  beforeEach(() => {
    http.requests.length = 0;
  });

  async function send(target: NotifyTarget, event: NotifyEvent = 'failure', text = TEXT) {
    const logger = memoryLogger();
    const options = { logger, redact: (t: string) => t, retries: 0, minRetryDelayMs: 1, timeoutMs: 20_000 };
    await notifyPayload([target], event, 'job app', { text, event, job: 'app' }, options);
    return logger.lines;
  }

  it('publishes to an ntfy topic: the text as body, title, priority, tags and the access token', async () => {
    await send({ type: 'ntfy', url: `${http.base}/backups`, token: 'tk_secret', on: ['failure'] });
    expect(http.requests).toHaveLength(1);
    const [request] = http.requests;
    expect(request?.url).toBe('/backups');
    expect(request?.body).toBe(TEXT);
    expect(request?.headers).toMatchObject({
      title: 'tricopy: failure',
      priority: '5',
      tags: 'rotating_light',
      authorization: 'Bearer tk_secret',
    });
  });

  it('posts a Slack-compatible message with &, < and > escaped, so no text becomes a mention', async () => {
    await send({ type: 'slack', url: `${http.base}/services/T/B/x`, on: ['failure'] });
    expect(JSON.parse(http.requests[0]?.body ?? '')).toEqual({
      text: '❌ tricopy job app: FAILED (0/2 copies verified): &lt;!channel&gt; @everyone &amp; co',
    });
    expect(http.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('posts a Discord-compatible message that mentions nobody, cut to 2000 characters', async () => {
    await send({ type: 'discord', url: `${http.base}/api/webhooks/1/x`, on: ['degraded'] }, 'degraded');
    expect(JSON.parse(http.requests[0]?.body ?? '')).toEqual({
      content: TEXT,
      username: 'tricopy',
      allowed_mentions: { parse: [] },
    });
    await send({ type: 'discord', url: `${http.base}/d`, on: ['failure'] }, 'failure', '✅'.repeat(2500));
    const content = JSON.parse(http.requests[1]?.body ?? '').content as string;
    expect([...content]).toHaveLength(2000);
  });

  it('sends only the events listed in on, and logs a target that answers an error without its URL path', async () => {
    await send({ type: 'slack', url: `${http.base}/quiet`, on: ['failure'] }, 'success');
    expect(http.requests).toHaveLength(0);
    http.failNext(1);
    const lines = await send({ type: 'ntfy', url: `${http.base}/topic-secret`, on: ['failure'] });
    expect(lines.join('\n')).toContain(
      `ntfy for job app could not be delivered: ${http.base} answered HTTP 500`,
    );
    expect(lines.join('\n')).not.toContain('topic-secret');
  });
});

describe('apprise (the real command, Debian package apprise)', () => {
  let http: Awaited<ReturnType<typeof recorder>>;
  const dir = mkdtempSync(join(tmpdir(), 'tricopy-apprise-'));
  const real = execFileSync('sh', ['-c', 'command -v apprise'], { encoding: 'utf8' }).trim();
  const savedPath = process.env.PATH;
  beforeAll(async () => {
    http = await recorder();
    // A wrapper first on PATH records the arguments apprise gets, then runs the real one.
    writeFileSync(join(dir, 'apprise'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${dir}/argv\nexec ${real} "$@"\n`);
    chmodSync(join(dir, 'apprise'), 0o755);
  });
  afterAll(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
    return new Promise<void>((resolve) => http.server.close(() => resolve()));
  });

  const options = (logger: ReturnType<typeof memoryLogger>) => ({
    logger,
    redact: (t: string) => t,
    retries: 0,
    minRetryDelayMs: 1,
    timeoutMs: 60_000,
  });

  it('delivers through apprise to a json:// URL, the URL in its environment and never in its arguments', async () => {
    process.env.PATH = `${dir}:${savedPath}`;
    const url = `json://${http.base.replace('http://', '')}/apprise-hook-secret`;
    const logger = memoryLogger();
    const target: NotifyTarget = { type: 'apprise', urls: [url], on: ['degraded'] };
    await notifyPayload([target], 'degraded', 'job app', { text: 'job app degraded' }, options(logger));
    expect(logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
    expect(http.requests).toHaveLength(1);
    expect(http.requests[0]?.url).toBe('/apprise-hook-secret');
    expect(JSON.parse(http.requests[0]?.body ?? '')).toMatchObject({
      title: 'tricopy: degraded',
      message: 'job app degraded',
      type: 'warning',
    });
    const argv = readFileSync(join(dir, 'argv'), 'utf8');
    expect(argv).toContain('warning');
    expect(argv).not.toContain('apprise-hook-secret');
  }, 120_000);

  it('logs that apprise is not installed when it is not on PATH', async () => {
    process.env.PATH = join(dir, 'empty');
    const logger = memoryLogger();
    const target: NotifyTarget = { type: 'apprise', urls: ['json://127.0.0.1:1/x'], on: ['failure'] };
    await notifyPayload([target], 'failure', 'job app', { text: 'x' }, options(logger));
    process.env.PATH = savedPath;
    expect(logger.lines.join('\n')).toContain(
      'apprise for job app could not be delivered: the apprise command is not installed',
    );
  });
});

describe('notify kinds in the config', () => {
  const config = (notify: string) => `destinations:
  d: { type: local, path: /tmp/tricopy-config-test }
jobs:
  a: { source: { type: sqlite, path: /tmp/a.db }, destinations: [d] }
notify:
${notify}`;

  it('takes ntfy, slack, discord and apprise targets with failure and degraded as the default events', async () => {
    const loaded = await parseConfig(
      config(`  - { type: ntfy, url: "https://ntfy.sh/backups", token: "\${NTFY_TOKEN}" }
  - { type: slack, url: "https://hooks.slack.com/services/x" }
  - { type: discord, url: "https://discord.com/api/webhooks/1/x", on: [failure] }
  - { type: apprise }
`),
      '/etc/tricopy/tricopy.yaml',
      { NTFY_TOKEN: 'tk_from_env' },
      TEST_PLUGINS,
    );
    expect(loaded.jobs.get('a')?.notify).toEqual([
      { type: 'ntfy', url: 'https://ntfy.sh/backups', token: 'tk_from_env', on: ['failure', 'degraded'] },
      { type: 'slack', url: 'https://hooks.slack.com/services/x', on: ['failure', 'degraded'] },
      { type: 'discord', url: 'https://discord.com/api/webhooks/1/x', on: ['failure'] },
      { type: 'apprise', on: ['failure', 'degraded'] },
    ]);
    expect(loaded.redactor.redact('token tk_from_env')).toBe('token ***');
  });

  it('names the key of a bad target', async () => {
    const error = await parseConfig(
      config('  - { type: apprise, urls: [] }\n  - { type: discord, url: "not a url" }\n'),
      '/etc/tricopy/tricopy.yaml',
      {},
      TEST_PLUGINS,
    ).catch((e: unknown) => e);
    expect(String(error)).toContain('notify[0].urls: list at least one Apprise URL');
    expect(String(error)).toContain('notify[1].url: Invalid URL');
  });
});
