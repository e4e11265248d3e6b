import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startWebdavServer,
  type WebdavTestServer,
} from '../../examples/destination-webdav/test-support/start-webdav-server.mjs';
import {
  type BackupJson,
  FIXTURES,
  makeWorkspace,
  REPO_ROOT,
  sha256File,
  tricopy,
  tricopyJson,
  type Workspace,
} from './cli.js';

const CHINOOK = join(FIXTURES, 'chinook/Chinook_Sqlite.sqlite');
const WEBDAV_PLUGIN = join(REPO_ROOT, 'examples/destination-webdav/dist/index.js');
const USER = 'backup';
const PASSWORD = `nas-${randomUUID()}`;

/** Every table's rows, in primary-key order: equal content means an equal database for this test. */
function content(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
      )
      .all() as { name: string }[];
    return Object.fromEntries(
      tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]),
    );
  } finally {
    db.close();
  }
}

function config(pluginPath: string, port: number): string {
  return `
destinations:
  disk: { type: local, path: ./dest/disk }
  nas:
    type: ${pluginPath}
    url: http://127.0.0.1:${port}/backups/tricopy
    username: ${USER}
    password: \${NAS_PASSWORD}
jobs:
  music:
    source: { type: sqlite, path: ./chinook.db }
    destinations: [disk, nas]
    compression: gzip
policy: { copies: 2, media: 2, offsite: 0 }
retries: { attempts: 1, minDelay: 10ms, maxDelay: 50ms }
`;
}

describe('a third-party WebDAV destination loaded by path from the config', () => {
  let ws: Workspace;
  let server: WebdavTestServer;
  let run: BackupJson['runs'][number];
  const env = { NAS_PASSWORD: PASSWORD };

  beforeAll(async () => {
    server = await startWebdavServer({ username: USER, password: PASSWORD });
    ws = await makeWorkspace('third-party-webdav');
    await copyFile(CHINOOK, join(ws.dir, 'chinook.db'));
    await mkdir(join(ws.dir, 'dest/disk'), { recursive: true });
    // The plugin creates the folder in url (backups/tricopy) itself; its parent must exist, as on a real NAS share.
    await mkdir(join(server.root, 'backups'));
    const pluginPath = relative(ws.dir, WEBDAV_PLUGIN);
    expect(pluginPath.startsWith('../')).toBe(true);
    await ws.writeConfig(config(pluginPath, server.port));
  });
  afterAll(async () => {
    await ws?.remove();
    await server?.stop();
  });

  it('check loads the plugin, probes the server and takes media/offsite from the plugin defaults', async () => {
    const result = await tricopyJson<{
      ok: boolean;
      destinations: { destination: string; type: string; media: string; offsite: boolean; ok: boolean }[];
      jobs: { policy: { met: boolean; summary: string } }[];
    }>(['check'], { cwd: ws.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.json.destinations.find((d) => d.destination === 'nas')).toMatchObject({
      ok: true,
      media: 'nas',
      offsite: false,
    });
    expect(result.json.jobs[0]?.policy).toMatchObject({
      met: true,
      summary: '2 copies of 2; 2 media of 2; 0 offsite of 0',
    });
  });

  it('backup stores a verified copy on the WebDAV server, byte for byte', async () => {
    const result = await tricopyJson<BackupJson>(['backup'], { cwd: ws.dir, env });
    expect(result.code, result.stderr).toBe(0);
    run = result.json.runs[0] as BackupJson['runs'][number];
    expect(run.status).toBe('ok');
    const nas = run.copies.find((c) => c.destination === 'nas');
    expect(nas).toMatchObject({ status: 'verified', size: run.size, sha256: run.sha256 });
    expect(nas?.location).toBe(
      `http://127.0.0.1:${server.port}/backups/tricopy/music/${run.backupId}/music.sqlite.gz`,
    );
    // Read what the server wrote to its disk, independently of tricopy and of the plugin.
    const onServer = join(server.root, 'backups/tricopy/music', run.backupId, 'music.sqlite.gz');
    expect((await stat(onServer)).size).toBe(run.size);
    expect(await sha256File(onServer)).toBe(run.sha256);
    const manifest = JSON.parse(await readFile(join(onServer, '..', 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ backupId: run.backupId, artifact: { sha256: run.sha256 } });
  });

  it('keeps the WebDAV password out of output and the catalog', async () => {
    const list = await tricopy(['list', '--job', 'music', '--json'], { cwd: ws.dir, env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(run.backupId);
    expect(list.stdout + list.stderr).not.toContain(PASSWORD);
    const catalog = await readFile(join(ws.dir, '.tricopy/catalog.db'));
    expect(catalog.includes(Buffer.from(PASSWORD))).toBe(false);
  });

  it('restore --from nas rebuilds an equal database from the WebDAV copy alone', async () => {
    await rm(join(ws.dir, 'dest/disk'), { recursive: true, force: true });
    await mkdir(join(ws.dir, 'dest/disk'));
    const target = join(ws.dir, 'restored.db');
    const result = await tricopy(
      ['restore', run.backupId, '--job', 'music', '--from', 'nas', '--to', target],
      {
        cwd: ws.dir,
        env,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const restored = content(target);
    expect(restored).toEqual(content(join(ws.dir, 'chinook.db')));
    expect(restored.Track).toHaveLength(3503);
  });

  it('a wrong password fails check with a message naming the destination and what to fix, without the password', async () => {
    const wrong = `wrong-${randomUUID()}`;
    const result = await tricopy(['check'], { cwd: ws.dir, env: { NAS_PASSWORD: wrong } });
    expect(result.code).toBe(1);
    const output = result.stdout + result.stderr;
    expect(output).toMatch(/destination "nas".*authentication failed.*check username and password/);
    expect(output).not.toContain(wrong);
    expect(result.stderr).not.toContain('\n    at ');
  });
});
