import { chmod, copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BackupJson,
  FIXTURES,
  makeWorkspace,
  sha256File,
  tricopy,
  tricopyJson,
  type Workspace,
} from './cli.js';

const CHINOOK = join(FIXTURES, 'chinook/Chinook_Sqlite.sqlite');

function tableCounts(path: string): Record<string, number> {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
      )
      .all() as { name: string }[];
    return Object.fromEntries(
      tables.map(({ name }) => [
        name,
        (db.prepare(`SELECT COUNT(*) AS n FROM "${name}"`).get() as { n: number }).n,
      ]),
    );
  } finally {
    db.close();
  }
}

const CONFIG = `
destinations:
  primary: { type: local, path: ./dest/primary }
  usb: { type: local, path: ./dest/usb, media: removable }
  offsite: { type: local, path: ./dest/offsite, media: tape, offsite: true }
jobs:
  music:
    source: { type: sqlite, path: ./chinook.db }
    destinations: [primary, usb, offsite]
    compression: gzip
retries: { attempts: 2, minDelay: 10ms, maxDelay: 50ms }
`;

describe('SQLite to local destinations, through the CLI', () => {
  let ws: Workspace;
  let first: BackupJson['runs'][number];

  beforeAll(async () => {
    ws = await makeWorkspace('sqlite-local');
    await copyFile(CHINOOK, join(ws.dir, 'chinook.db'));
    // The local destination creates its folder only when the parent exists (an unmounted disk stays unwritten).
    await mkdir(join(ws.dir, 'dest'));
    await mkdir(join(ws.dir, 'dest-missing'));
    await ws.writeConfig(CONFIG);
  });
  afterAll(() => ws.remove());

  it('check validates the config, probes destinations and reports 3-2-1 met', async () => {
    const result = await tricopyJson<{
      ok: boolean;
      jobs: { job: string; policy: { met: boolean; summary: string } }[];
    }>(['check'], { cwd: ws.dir });
    expect(result.code).toBe(0);
    expect(result.json.ok).toBe(true);
    expect(result.json.jobs[0]?.policy).toMatchObject({
      met: true,
      summary: '3 copies of 3; 3 media of 2; 1 offsite of 1',
    });
  });

  it('backup writes three verified copies whose bytes match the reported size and sha256', async () => {
    const result = await tricopyJson<BackupJson>(['backup'], { cwd: ws.dir });
    expect(result.code, result.stderr).toBe(0);
    const run = result.json.runs[0];
    expect(run).toBeDefined();
    first = run as BackupJson['runs'][number];
    expect(first).toMatchObject({ job: 'music', status: 'ok' });
    expect(first.copies.map((c) => c.destination).sort()).toEqual(['offsite', 'primary', 'usb']);
    for (const copy of first.copies) {
      expect(copy.status).toBe('verified');
      expect(copy.location).toMatch(
        new RegExp(`dest/${copy.destination}/music/${first.backupId}/music\\.sqlite\\.gz$`),
      );
      const location = copy.location as string;
      expect((await stat(location)).size).toBe(first.size);
      expect(await sha256File(location)).toBe(first.sha256);
      expect((await stat(location)).mode & 0o777).toBe(0o600);
      expect((await stat(join(location, '..'))).mode & 0o777).toBe(0o700);
    }
  });

  it('writes a complete manifest beside every copy', async () => {
    for (const copy of first.copies) {
      const manifest = JSON.parse(
        await readFile(join(copy.location as string, '..', 'manifest.json'), 'utf8'),
      );
      expect(manifest).toMatchObject({
        job: 'music',
        backupId: first.backupId,
        source: { type: 'sqlite', engine: 'sqlite' },
        artifact: { size: first.size, sha256: first.sha256, compression: 'gzip', format: 'sqlite-database' },
        dumps: 1,
        tool: { name: 'tricopy' },
      });
      const counts = Object.fromEntries(
        manifest.tables.map((t: { name: string; rows: number }) => [t.name, t.rows]),
      );
      expect(counts).toEqual(tableCounts(join(ws.dir, 'chinook.db')));
      expect(counts.Track).toBe(3503);
    }
  });

  it('list shows the backup with its copies', async () => {
    const result = await tricopyJson<{
      backups: { backupId: string; status: string; copies: { status: string }[] }[];
    }>(['list', '--job', 'music'], { cwd: ws.dir });
    expect(result.code).toBe(0);
    expect(result.json.backups[0]).toMatchObject({ backupId: first.backupId, status: 'ok' });
    expect(result.json.backups[0]?.copies.every((c) => c.status === 'verified')).toBe(true);
  });

  it('restore refuses to overwrite an existing file without --force, and a non-SQLite file even with it; replaces a database with --force', async () => {
    const target = join(ws.dir, 'restored.db');
    await writeFile(target, 'precious');
    const refused = await tricopy(['restore', '--latest', '--job', 'music', '--to', target], { cwd: ws.dir });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/exists|--force/);
    const forced = await tricopy(['restore', '--latest', '--to', target, '--force'], { cwd: ws.dir });
    expect(forced.code).not.toBe(0);
    expect(forced.stderr).toContain(`refusing to replace ${target}: it is not a SQLite database`);
    expect(await readFile(target, 'utf8')).toBe('precious');

    await rm(target);
    const other = new Database(target);
    other.exec('CREATE TABLE other (x); INSERT INTO other VALUES (1);');
    other.close();
    // The config's only job: --latest needs no --job.
    const restored = await tricopy(['restore', '--latest', '--to', target, '--force'], { cwd: ws.dir });
    expect(restored.code, restored.stderr).toBe(0);
    expect(tableCounts(target)).toEqual(tableCounts(join(ws.dir, 'chinook.db')));
  });

  it('verify --deep names exactly the corrupted copy, and restore falls back to a good copy', async () => {
    const primary = first.copies.find((c) => c.destination === 'primary')?.location as string;
    const bytes = await readFile(primary);
    const middle = Math.floor(bytes.length / 2);
    bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
    await chmod(primary, 0o600);
    await writeFile(primary, bytes);

    const verify = await tricopyJson<{ copies: { destination: string; status: string }[] }>(
      ['verify', '--latest', '--deep'],
      { cwd: ws.dir },
    );
    expect(verify.code).toBe(3);
    const byDestination = Object.fromEntries(verify.json.copies.map((c) => [c.destination, c.status]));
    expect(byDestination).toEqual({ primary: 'checksum-mismatch', usb: 'ok', offsite: 'ok' });

    const target = join(ws.dir, 'restored-after-corruption.db');
    const restored = await tricopy(['restore', first.backupId, '--to', target], { cwd: ws.dir });
    expect(restored.code, restored.stderr).toBe(0);
    expect(tableCounts(target)).toEqual(tableCounts(join(ws.dir, 'chinook.db')));
  });

  it('restore from a named corrupt copy fails without touching the target', async () => {
    // verify --deep marked the primary copy failed; put its status aside by asking for it explicitly.
    const target = join(ws.dir, 'never.db');
    const result = await tricopy(['restore', first.backupId, '--to', target, '--from', 'primary'], {
      cwd: ws.dir,
    });
    expect(result.code).not.toBe(0);
    await expect(stat(target)).rejects.toThrow();
  });

  it('catalog rebuild from one destination brings back backups that restore', async () => {
    // The catalog is lost (a 0-byte one is refused, never taken for a new one: see the catalog's own tests).
    for (const suffix of ['', '-wal', '-shm'])
      await rm(join(ws.dir, `.tricopy/catalog.db${suffix}`), { force: true });
    const rebuilt = await tricopyJson<{ imported: string[] }>(['catalog', 'rebuild', '--from', 'usb'], {
      cwd: ws.dir,
    });
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.json.imported).toContain(first.backupId);
    const target = join(ws.dir, 'restored-after-rebuild.db');
    const restored = await tricopy(['restore', '--latest', '--job', 'music', '--to', target], {
      cwd: ws.dir,
    });
    expect(restored.code, restored.stderr).toBe(0);
    expect(tableCounts(target)).toEqual(tableCounts(join(ws.dir, 'chinook.db')));
  });

  it('a missing destination folder degrades the run (exit 3) while the other copies complete', async () => {
    const config = CONFIG.replace('./dest/usb', './no-such-parent/deeper/usb');
    const path = join(ws.dir, 'degraded.yaml');
    await writeFile(path, config);
    const result = await tricopyJson<BackupJson>(['backup', '--config', path], { cwd: ws.dir });
    expect(result.code).toBe(3);
    const run = result.json.runs[0] as BackupJson['runs'][number];
    expect(run.status).toBe('degraded');
    const usb = run.copies.find((c) => c.destination === 'usb');
    expect(usb?.status).toBe('failed');
    expect(usb?.error).toMatch(/usb/);
    expect(run.copies.filter((c) => c.status === 'verified')).toHaveLength(2);
  });

  it('a missing source file fails the job (exit 1) and records no good backup', async () => {
    const path = join(ws.dir, 'missing-source.yaml');
    await writeFile(path, CONFIG.replace('./chinook.db', './nope.db').replace(/dest\//g, 'dest-missing/'));
    const result = await tricopyJson<BackupJson>(['backup', '--config', path], { cwd: ws.dir });
    expect(result.code).toBe(1);
    expect(result.json.runs[0]?.status).toBe('failed');
    expect(result.json.runs[0]?.error).toMatch(/nope\.db/);
    const leftovers = await readdir(join(ws.dir, 'dest-missing/primary'), { recursive: true }).catch(
      () => [],
    );
    expect(leftovers.filter((f) => String(f).endsWith('.gz'))).toEqual([]);
  });
});

describe('configuration errors', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await makeWorkspace('config');
    await mkdir(join(ws.dir, 'd'));
  });
  afterAll(() => ws.remove());

  const run = async (yaml: string, env: Record<string, string> = {}) => {
    await ws.writeConfig(yaml);
    return tricopy(['check'], { cwd: ws.dir, env });
  };

  it('reports every problem with its path, exit 2, no stack trace', async () => {
    const result = await run(`
destinations:
  primary: { type: local, path: ./d, colour: blue }
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary, usbb]
    compresion: gzip
`);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('jobs.app.destinations[1]: unknown destination "usbb"');
    expect(result.stderr).toMatch(/jobs\.app.*compresion/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unset environment variable names the variable and the key, and a set one is never printed', async () => {
    const result = await run(
      `
destinations:
  primary: { type: local, path: "\${BACKUP_ROOT}" }
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary]
    compression: "\${NOPE_COMPRESSION}"
`,
      { BACKUP_ROOT: './d' },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('jobs.app.compression: environment variable NOPE_COMPRESSION is not set');
  });

  it('a YAML syntax error gives the line', async () => {
    const result = await run('destinations:\n  primary: { type: local\njobs: {}\n');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/line \d+/);
  });

  it('an unknown plugin type names the plugin and what was expected', async () => {
    const result = await run(`
destinations:
  primary: { type: tape-robot-9000, path: ./d }
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary]
`);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'destinations.primary.type: destination plugin "tape-robot-9000" not found',
    );
  });

  it('a missing config file says how to make one', async () => {
    const result = await tricopy(['list', '--config', join(ws.dir, 'absent.yaml')], { cwd: ws.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('tricopy init');
  });

  it('policy.enforce: error refuses a job that cannot meet 3-2-1, and check says what is missing', async () => {
    await ws.writeConfig(`
destinations:
  primary: { type: local, path: ./d }
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary]
policy: { enforce: error }
`);
    const db = new Database(join(ws.dir, 'app.db'));
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    db.close();
    const check = await tricopy(['check'], { cwd: ws.dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('1 copy of 3; 1 medium of 2; 0 offsite of 1');
    const backup = await tricopyJson<BackupJson>(['backup'], { cwd: ws.dir });
    expect(backup.code).toBe(1);
    expect(backup.json.runs[0]?.error).toContain('policy');
  });
});
