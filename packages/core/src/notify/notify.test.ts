import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { parseConfig } from '../config/load.js';
import type { JobResult } from '../results/backup-result.js';
import { runBackups } from '../schedule/run-backups.js';
import { Session } from '../session/session.js';
import { memoryLogger, type Recorded, recorder } from '../testing/http-recorder.js';
import { Redactor } from '../util/redactor.js';
import { healthcheckUrl, notificationPayload } from './notify.js';

const FILE_SOURCE = fileURLToPath(new URL('../__fixtures__/file-source.mjs', import.meta.url));
const SECRET = 'hunter2-very-secret';

describe('notifications', () => {
  let http: Awaited<ReturnType<typeof recorder>>;
  let dir: string;
  beforeAll(async () => {
    http = await recorder();
  });
  afterAll(() => new Promise<void>((resolve) => http.server.close(() => resolve())));
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-notify-'));
    await mkdir(join(dir, 'd'));
    await writeFile(join(dir, 'data.sql'), 'INSERT INTO t VALUES (1);\n'.repeat(100));
    http.requests.length = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function run(notify: string, sourceExtra = '', destinations = '[primary, usb]') {
    const config = await parseConfig(
      `
destinations:
  primary: { type: local, path: ./d/primary, fsync: false }
  usb: { type: local, path: ./d/usb, media: removable, fsync: false }
jobs:
  app:
    source: { type: ${FILE_SOURCE}, path: ./data.sql, password: ${SECRET}${sourceExtra} }
    destinations: ${destinations}
    compression: none
notify:
${notify}
catalog: ./catalog.db
workDir: ./work
retries: { attempts: 0 }
`,
      join(dir, 'tricopy.yaml'),
      {},
      TEST_PLUGINS,
    );
    const logger = memoryLogger();
    const session = new Session({ config, logger });
    try {
      const report = await runBackups(session, ['app'], { notify: { retries: 2, minRetryDelayMs: 10 } });
      return { result: report.runs[0], logger };
    } finally {
      await session.close();
      await session.closeCatalog();
    }
  }

  it('posts a Slack-compatible webhook when a job degrades, with sizes and copies and no secret', async () => {
    await writeFile(join(dir, 'd', 'usb'), 'a file where a folder should be');
    const { result } = await run(
      `  - { type: webhook, url: "${'${BASE}'}/hook", headers: { authorization: "Bearer t0ken" } }`.replace(
        '${BASE}',
        http.base,
      ),
    );
    expect(result?.status).toBe('degraded');
    const hooks = http.requests.filter((r) => r.url === '/hook');
    expect(hooks).toHaveLength(1);
    const hook = hooks[0] as Recorded;
    expect(hook.method).toBe('POST');
    expect(hook.headers.authorization).toBe('Bearer t0ken');
    expect(hook.headers['content-type']).toBe('application/json');
    const payload = JSON.parse(hook.body);
    expect(payload).toMatchObject({
      job: 'app',
      status: 'degraded',
      event: 'degraded',
      backupId: result?.backupId,
    });
    expect(payload.size).toBe(result?.size);
    expect(payload.text).toMatch(/^⚠️ tricopy job app: DEGRADED \(1\/2 copies verified/);
    expect(
      payload.copies.map((c: { destination: string; status: string }) => [c.destination, c.status]),
    ).toEqual([
      ['primary', 'verified'],
      ['usb', 'failed'],
    ]);
    expect(hook.body).not.toContain(SECRET);
  });

  it('does not notify a webhook about success unless asked', async () => {
    const { result } = await run(`  - { type: webhook, url: "${http.base}/hook" }`);
    expect(result?.status).toBe('ok');
    expect(http.requests).toEqual([]);
  });

  it('redacts secrets from a failure message in the payload', async () => {
    const { result } = await run(
      `  - { type: webhook, url: "${http.base}/hook", on: [failure] }`,
      `, failWith: "connection refused for password ${SECRET}"`,
    );
    expect(result?.status).toBe('failed');
    const body = http.requests[0]?.body ?? '';
    expect(JSON.parse(body).error).toContain('connection refused for password ***');
    expect(body).not.toContain(SECRET);
  });

  it('pings healthcheck /start and then the success URL, or /fail on failure', async () => {
    await run(`  - { type: healthcheck, url: "${http.base}/ping/abc" }`);
    expect(http.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /ping/abc/start',
      'POST /ping/abc',
    ]);
    http.requests.length = 0;
    await run(`  - { type: healthcheck, url: "${http.base}/ping/abc" }`, ', failWith: "dump broke"');
    expect(http.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /ping/abc/start',
      'POST /ping/abc/fail',
    ]);
  });

  it('retries a failing webhook (bounded) and never turns a good backup into a failure', async () => {
    http.failNext(1);
    const { result, logger } = await run(`  - { type: webhook, url: "${http.base}/hook", on: [success] }`);
    expect(result?.status).toBe('ok');
    expect(http.requests).toHaveLength(2);
    expect(logger.lines.some((l) => l.startsWith('warn: webhook for job app: attempt 1 failed'))).toBe(true);

    http.requests.length = 0;
    http.failNext(10);
    const again = await run(`  - { type: webhook, url: "${http.base}/hook", on: [success] }`);
    expect(again.result?.status).toBe('ok');
    expect(http.requests).toHaveLength(3); // 1 + 2 retries
    expect(
      again.logger.lines.some(
        (l) => l.startsWith('error: webhook for job app could not be delivered') && l.includes('HTTP 500'),
      ),
    ).toBe(true);
    http.failNext(0);
  });

  it('runs a command with the result as JSON on stdin', async () => {
    const out = join(dir, 'notified.json');
    const script = `process.stdin.pipe(require("fs").createWriteStream(${JSON.stringify(out)}))`;
    const { result } = await run(
      `  - { type: command, command: [${JSON.stringify(process.execPath)}, "-e", ${JSON.stringify(script)}], on: [success] }`,
    );
    const payload = JSON.parse(await readFile(out, 'utf8'));
    expect(payload).toMatchObject({ job: 'app', status: 'ok', backupId: result?.backupId, event: 'success' });
  });

  it("gives a command a minimal environment, never tricopy's secrets", async () => {
    const out = join(dir, 'env.json');
    const script = `require("fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.env))`;
    process.env.TRICOPY_TEST_DB_PASSWORD = SECRET;
    try {
      await run(
        `  - { type: command, command: [${JSON.stringify(process.execPath)}, "-e", ${JSON.stringify(script)}], on: [success] }`,
      );
    } finally {
      delete process.env.TRICOPY_TEST_DB_PASSWORD;
    }
    const env = JSON.parse(await readFile(out, 'utf8')) as Record<string, string>;
    expect(env.PATH).toBe(process.env.PATH);
    expect(env.TRICOPY_TEST_DB_PASSWORD).toBeUndefined();
    expect(JSON.stringify(env)).not.toContain(SECRET);
  });

  it('logs a command that fails, naming its exit code', async () => {
    const { result, logger } = await run(
      `  - { type: command, command: [${JSON.stringify(process.execPath)}, "-e", "process.exit(7)"], on: [success] }`,
    );
    expect(result?.status).toBe('ok');
    expect(
      logger.lines.some((l) => l.includes('could not be delivered') && l.includes('exited with code 7')),
    ).toBe(true);
  });
});

describe('notifications shared by the jobs of a run', () => {
  let http: Awaited<ReturnType<typeof recorder>>;
  let dir: string;
  beforeAll(async () => {
    http = await recorder();
  });
  afterAll(() => new Promise<void>((resolve) => http.server.close(() => resolve())));
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tricopy-notify-run-'));
    await mkdir(join(dir, 'd'));
    await writeFile(join(dir, 'data.sql'), 'INSERT INTO t VALUES (1);\n'.repeat(100));
    http.requests.length = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function fleet(jobs: string, notify: string) {
    const config = await parseConfig(
      `
destinations:
  primary: { type: local, path: ./d/primary, fsync: false }
jobs:
${jobs}
notify:
${notify}
catalog: ./catalog.db
workDir: ./work
retries: { attempts: 0 }
concurrency: 1
`,
      join(dir, 'tricopy.yaml'),
      {},
      TEST_PLUGINS,
    );
    const session = new Session({ config, logger: memoryLogger() });
    try {
      return await runBackups(session, undefined, { notify: { retries: 0, minRetryDelayMs: 10 } });
    } finally {
      await session.close();
      await session.closeCatalog();
    }
  }

  const job = (name: string, extra = '') =>
    `  ${name}:\n    source: { type: ${FILE_SOURCE}, path: ./data.sql${extra} }\n    destinations: [primary]\n    compression: none`;

  it('pings a top-level healthcheck once for the run, with the worst result even when a later job succeeds', async () => {
    const report = await fleet(
      [job('first', ', failWith: "dump broke"'), job('second')].join('\n'),
      `  - { type: healthcheck, url: "${http.base}/ping/shared" }`,
    );
    expect(report.runs.map((r) => r.status)).toEqual(['failed', 'ok']);
    expect(http.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /ping/shared/start',
      'POST /ping/shared/fail',
    ]);
    const payload = JSON.parse(http.requests[1]?.body ?? '{}');
    expect(payload.event).toBe('failure');
    expect(payload.jobs.map((j: { job: string; status: string }) => [j.job, j.status])).toEqual([
      ['first', 'failed'],
      ['second', 'ok'],
    ]);
    expect(payload.text).toMatch(/1 of 2 jobs need attention: first FAILED, second OK/);
  });

  it('still tells a shared webhook about each job, and a job-own healthcheck about its job only', async () => {
    await fleet(
      [
        job('first', ', failWith: "dump broke"'),
        `${job('second')}\n    notify: [{ type: healthcheck, url: "${http.base}/ping/own" }]`,
      ].join('\n'),
      `  - { type: webhook, url: "${http.base}/hook", on: [failure, success] }`,
    );
    const seen = http.requests.map((r) => `${r.method} ${r.url}`);
    expect(seen.filter((r) => r === 'POST /hook')).toHaveLength(2);
    expect(seen.filter((r) => r.includes('/ping/own'))).toEqual(['GET /ping/own/start', 'POST /ping/own']);
  });

  it('reports a flagged backup as degraded, naming the reason', async () => {
    const hook = `  - { type: webhook, url: "${http.base}/hook", on: [degraded] }\n  - { type: healthcheck, url: "${http.base}/ping/hc" }`;
    await fleet(job('app'), hook);
    expect(http.requests.map((r) => r.url)).toEqual(['/ping/hc/start', '/ping/hc']);
    http.requests.length = 0;
    await writeFile(join(dir, 'data.sql'), 'x\n');
    const report = await fleet(job('app'), hook);
    expect(report.status).toBe('ok');
    expect(report.runs[0]?.flagged).toMatch(/of the previous backup/);
    expect(http.requests.map((r) => r.url)).toEqual(['/ping/hc/start', '/hook', '/ping/hc/fail']);
    const payload = JSON.parse(http.requests[1]?.body ?? '{}');
    expect(payload).toMatchObject({ event: 'degraded', status: 'ok' });
    expect(payload.flagged).toMatch(/below shrinkThreshold 0\.5/);
    expect(payload.text).toMatch(/OK, FLAGGED/);
  });
});

describe('healthcheckUrl', () => {
  it.each([
    ['https://hc-ping.com/uuid', 'start', 'https://hc-ping.com/uuid/start'],
    ['https://hc-ping.com/uuid/', 'fail', 'https://hc-ping.com/uuid/fail'],
    ['https://hc-ping.com/uuid', 'success', 'https://hc-ping.com/uuid'],
    [
      'https://kuma.example/api/push/TOKEN?status=up&msg=OK',
      'fail',
      'https://kuma.example/api/push/TOKEN?status=down&msg=m',
    ],
    ['https://kuma.example/api/push/TOKEN?status=up&msg=OK', 'start', undefined],
  ] as const)('%s %s', (base, kind, expected) => {
    expect(healthcheckUrl(base, kind, 'app', 'm')).toBe(expected);
  });
});

describe('notificationPayload', () => {
  it('redacts each value, so a secret after an escaped newline or tab in the JSON is still found', () => {
    const redactor = new Redactor();
    redactor.add('shop');
    const result = {
      job: 'shop-db',
      status: 'failed',
      backupId: '',
      startedAt: '2026-12-06T00:00:00.000Z',
      finishedAt: '2026-12-06T00:00:01.000Z',
      copies: [{ destination: 'primary', status: 'failed', location: '/srv/x\tshop' }],
      policy: { met: false, summary: 'below 3-2-1' },
      error: 'password rejected:\nshop',
    } as unknown as JobResult;
    const payload = notificationPayload(result, (text) => redactor.redact(text));
    expect(payload.error).toBe('password rejected:\n***');
    expect(payload.job).toBe('shop-db');
    expect(JSON.stringify(payload).replaceAll('shop-db', '')).not.toContain('shop');
  });
});
