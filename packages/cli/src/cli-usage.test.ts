import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from './exit-codes.js';
import { main } from './main.js';

let dir: string;
let config: string;
let stderr: string;
let stdout: string;

const FLEET = `destinations:
  primary: { type: local, path: ./backups }
jobs:
  a:
    source: { type: sqlite, path: ./a.db }
    destinations: [primary]
  b:
    source: { type: sqlite, path: "\${B_DATABASE}" }
    destinations: [primary]
policy: { copies: 1, media: 1, offsite: 0 }
`;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-cli-usage-'));
  config = join(dir, 'tricopy.yaml');
  await mkdir(join(dir, 'backups'));
  const db = new Database(join(dir, 'a.db'));
  db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1);');
  db.close();
  await writeFile(config, FLEET);
  stderr = '';
  stdout = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => main(['node', 'tricopy', '--config', config, ...args]);

describe('usage errors exit 2', () => {
  it('an unknown job or destination named on the command line', async () => {
    expect(await run('backup', 'nope')).toBe(EXIT.usage);
    expect(stderr).toContain('unknown job "nope"');
    expect(await run('catalog', 'rebuild', '--from', 'nowhere')).toBe(EXIT.usage);
    expect(stderr).toContain('unknown destination "nowhere"');
  });

  it('conflicting flags are refused', async () => {
    expect(await run('restore', 'X', '--to', join(dir, 'x.db'), '--to-database', 'y')).toBe(EXIT.usage);
    expect(stderr).toMatch(/--to-database.*cannot be used with.*--to/);
    expect(await run('verify', '--latest', '--deep', '--restore-test')).toBe(EXIT.usage);
    expect(stderr).toMatch(/--restore-test.*cannot be used with.*--deep/);
  });

  it('--json gives a JSON error for a missing required option', async () => {
    expect(await run('--json', 'catalog', 'rebuild')).toBe(EXIT.usage);
    const parsed = JSON.parse(stdout) as { error: { code: string; message: string } };
    expect(parsed.error).toMatchObject({ code: 'USAGE' });
    expect(parsed.error.message).toContain('--from');
  });

  it('a YAML alias error names the config file', async () => {
    await writeFile(config, `${FLEET}notify: *missing\n`);
    expect(await run('check')).toBe(EXIT.usage);
    expect(stderr).toContain(config);
    expect(stderr).toContain('missing');
  });
});

describe('backup output', () => {
  it('a job named twice runs once', async () => {
    expect(await run('--json', 'backup', 'a', 'a')).toBe(EXIT.ok);
    const report = JSON.parse(stdout) as { runs: { job: string }[] };
    expect(report.runs.map((r) => r.job)).toEqual(['a']);
  });

  it('an unset variable in one job fails that job only; the others run', async () => {
    expect(await run('--json', 'backup')).toBe(EXIT.failed);
    const report = JSON.parse(stdout) as { runs: { job: string; status: string; error?: string }[] };
    expect(report.runs.map((r) => [r.job, r.status])).toEqual([
      ['a', 'ok'],
      ['b', 'failed'],
    ]);
    expect(report.runs[1]?.error).toContain('jobs.b.source.path: environment variable B_DATABASE is not set');
  });

  it('--quiet prints nothing when every job succeeded', async () => {
    expect(await run('--quiet', 'backup', 'a')).toBe(EXIT.ok);
    expect(stdout).toBe('');
    expect(stderr).toBe('');
  });

  it('--quiet still prints the summary when a job failed', async () => {
    expect(await run('--quiet', 'backup')).toBe(EXIT.failed);
    expect(stdout).toContain('B_DATABASE');
  });

  it('--log-format json makes every stderr line JSON, job start and result lines included', async () => {
    expect(await run('--log-format', 'json', 'backup')).toBe(EXIT.failed);
    const lines = stderr.split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const records = lines.map((line) => JSON.parse(line) as { msg: string; job?: string });
    expect(records.some((r) => r.msg.startsWith('job a: backup') && r.job === 'a')).toBe(true);
    expect(records.some((r) => r.msg.startsWith('job b: failed'))).toBe(true);
  });

  it('--log-format json makes error lines JSON too', async () => {
    expect(await run('--log-format', 'json', 'backup', 'nope')).toBe(EXIT.usage);
    const lines = stderr.split('\n').filter((line) => line !== '');
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
      expect.stringContaining('unknown job "nope"'),
    ]);
  });
});

describe('schedule --print warnings', () => {
  it('are JSON records with --log-format json', async () => {
    await writeFile(
      config,
      FLEET.replace(
        '    destinations: [primary]\n  b:',
        '    destinations: [primary]\n    schedule: "30 0 3 * * *"\n  b:',
      ),
    );
    expect(await run('--log-format', 'json', 'schedule', '--print', 'crontab')).toBe(EXIT.ok);
    const lines = stderr.split('\n').filter((line) => line !== '');
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
      expect.stringContaining('has a seconds field'),
      expect.stringContaining('the config uses ${B_DATABASE}'),
    ]);
  });
});

describe('a damaged catalog', () => {
  it('is named, with the way back, and never reported as INTERNAL', async () => {
    await mkdir(join(dir, '.tricopy'));
    await writeFile(join(dir, '.tricopy', 'catalog.db'), 'garbage '.repeat(1000));
    expect(await run('--json', 'list')).toBe(EXIT.failed);
    const parsed = JSON.parse(stdout) as { error: { code: string; message: string } };
    expect(parsed.error.code).toBe('INTEGRITY');
    expect(parsed.error.message).toContain(`the catalog ${join(dir, '.tricopy', 'catalog.db')} is damaged`);
    expect(parsed.error.message).toContain('tricopy catalog rebuild');
  });
});
