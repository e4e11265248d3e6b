import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from './migrations.js';
import { openExistingSqliteCatalog, openSqliteCatalog } from './sqlite-catalog.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-catalog-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('opening the catalog', () => {
  it('a damaged file is named, with the way back: catalog rebuild', async () => {
    const path = join(dir, 'catalog.db');
    await writeFile(path, 'this is not a SQLite database, just some bytes that fill a header '.repeat(100));
    expect(() => openSqliteCatalog(path)).toThrow(
      new RegExp(
        `^the catalog ${path} is damaged \\(file is not a database\\): move it aside and run \`tricopy catalog rebuild --from DESTINATION\``,
      ),
    );
  });

  it('a 0-byte file is refused, not silently treated as a new catalog', async () => {
    const path = join(dir, 'catalog.db');
    await writeFile(path, '');
    expect(() => openSqliteCatalog(path)).toThrow(`the catalog ${path} is empty (0 bytes)`);
  });

  it('a missing file is a new catalog', async () => {
    const catalog = openSqliteCatalog(join(dir, 'new', 'catalog.db'));
    expect(await catalog.schemaVersion()).toBeGreaterThan(0);
    await catalog.close();
  });
});

describe('opening an old catalog to copy it', () => {
  /** A catalog of schema `version` holding one backup with one copy, as an older tricopy left it; its path. */
  function oldCatalog(version = MIGRATIONS.length): string {
    const path = join(dir, 'old.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    for (const migration of MIGRATIONS.slice(0, version)) db.exec(migration);
    db.pragma(`user_version = ${version}`);
    db.exec(`INSERT INTO backups (id, job, status, started_at, source_type) VALUES ('b1', 'app', 'ok', 't', 'sqlite');
      INSERT INTO copies (backup_id, destination, status, key, updated_at) VALUES ('b1', 'primary', 'verified', 'k', 't');`);
    db.close();
    return path;
  }

  it('leaves the file exactly as it was, even when its schema is older than this tricopy’s', async () => {
    const path = oldCatalog(1);
    const before = await readFile(path);
    const catalog = openExistingSqliteCatalog(path);
    expect(await catalog.schemaVersion()).toBe(MIGRATIONS.length);
    expect((await catalog.records('copies', { offset: 0, limit: 10 })).length).toBe(1);
    await catalog.close();
    expect(await readFile(path)).toEqual(before);
    const reopened = new Database(path, { readonly: true });
    expect(reopened.pragma('user_version', { simple: true })).toBe(1);
    reopened.close();
  });

  it('refuses a catalog whose records refer to missing ones (foreign_key_check), naming the file and the way out', async () => {
    const path = oldCatalog();
    const db = new Database(path);
    db.pragma('foreign_keys = OFF');
    db.exec(`DELETE FROM backups WHERE id = 'b1'`);
    db.close();
    expect(() => openExistingSqliteCatalog(path)).toThrow(
      `the catalog ${path} is damaged (row 1 of copies refers to a missing backups row): copy a sound catalog file instead (restore it from your file backups), or run \`tricopy catalog rebuild --from DESTINATION\` into the new catalog`,
    );
  });

  it('refuses a catalog with a damaged page that plain reads would not notice (integrity_check)', async () => {
    const path = oldCatalog();
    const db = new Database(path);
    const { rootpage } = db
      .prepare(`SELECT rootpage FROM sqlite_master WHERE name = 'backups_job'`)
      .get() as {
      rootpage: number;
    };
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const file = await open(path, 'r+');
    await file.write(Buffer.alloc(pageSize), 0, pageSize, (rootpage - 1) * pageSize);
    await file.close();
    expect(() => openExistingSqliteCatalog(path)).toThrow(
      new RegExp(`^the catalog ${path} is damaged \\(.+\\): copy a sound catalog file instead`),
    );
  });
});

describe('upgrading an older catalog', () => {
  it('gives its backups the order they were recorded in, whatever their start times say', async () => {
    const path = join(dir, 'v3.db');
    const db = new Database(path);
    for (const migration of MIGRATIONS.slice(0, 3)) db.exec(migration);
    db.pragma('user_version = 3');
    const insert = db.prepare(
      `INSERT INTO backups (id, job, status, started_at, source_type) VALUES (?, 'app', 'ok', ?, 'sqlite')`,
    );
    insert.run('ahead', '2025-03-02T10:00:00.000Z');
    insert.run('real', '2025-03-01T10:00:00.000Z');
    insert.run('newest', '2025-03-01T10:30:00.000Z');
    db.close();
    const catalog = openSqliteCatalog(path);
    expect(await catalog.schemaVersion()).toBe(MIGRATIONS.length);
    expect((await catalog.listBackups()).map((b) => [b.id, b.seq])).toEqual([
      ['newest', 3],
      ['real', 2],
      ['ahead', 1],
    ]);
    await catalog.insertBackup({
      id: 'next',
      job: 'app',
      sourceType: 'sqlite',
      startedAt: '2000-01-01T00:00:00Z',
    });
    expect((await catalog.getBackup('next'))?.seq).toBe(4);
    await catalog.close();
  });
});

describe('upgrading a catalog of schema 4', () => {
  it('keeps its verifications, ids and all, and then records drills', async () => {
    const path = join(dir, 'v4.db');
    const db = new Database(path);
    for (const migration of MIGRATIONS.slice(0, 4)) db.exec(migration);
    db.pragma('user_version = 4');
    db.exec(`INSERT INTO backups (id, job, status, started_at, source_type, seq) VALUES ('b1', 'app', 'ok', 't', 'sqlite', 1);
      INSERT INTO verifications (id, backup_id, destination, level, status, detail, checked_at)
        VALUES (7, 'b1', 'usb', 'deep', 'ok', 'as stored', '2025-03-01T10:00:00.000Z')`);
    expect(() =>
      db.exec(
        `INSERT INTO verifications (backup_id, level, status, checked_at) VALUES ('b1', 'drill', 'ok', 't')`,
      ),
    ).toThrow(/CHECK constraint failed/);
    db.close();
    const catalog = openSqliteCatalog(path, () => new Date('2025-03-02T10:00:00.000Z'));
    try {
      const drill = { destination: 'usb', status: 'ok', expectedSize: null, expectedSha256: null } as const;
      await catalog.recordVerification({
        ...drill,
        backupId: 'b1',
        level: 'drill',
        actualSize: null,
        actualSha256: null,
        detail: '{}',
      });
      const rows = await catalog.records('verifications', { offset: 0, limit: 10 });
      expect(rows.map((r) => [r.id, r.level, r.detail, r.checked_at])).toEqual([
        [7, 'deep', 'as stored', '2025-03-01T10:00:00.000Z'],
        [8, 'drill', '{}', '2025-03-02T10:00:00.000Z'],
      ]);
    } finally {
      await catalog.close();
    }
  });
});

describe('the catalog file', () => {
  const backup = (id: string) => ({
    id,
    job: 'app',
    sourceType: 'sqlite',
    startedAt: '2025-03-01T10:00:00.000Z',
  });
  const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

  it('is created readable by its owner only, and so are its -wal and -shm files', async () => {
    const path = join(dir, 'private', 'catalog.db');
    const catalog = openSqliteCatalog(path);
    await catalog.insertBackup(backup('b1'));
    expect(await modeOf(path)).toBe(0o600);
    expect(await modeOf(`${path}-wal`)).toBe(0o600);
    expect(await modeOf(`${path}-shm`)).toBe(0o600);
    await catalog.close();
  });

  it('replaced by another file during a run: the next record and the close fail, naming it', async () => {
    const path = join(dir, 'catalog.db');
    const catalog = openSqliteCatalog(path);
    await catalog.insertBackup(backup('b1'));
    const other = openSqliteCatalog(join(dir, 'other.db'));
    await other.close();
    await rename(join(dir, 'other.db'), path);
    const replaced = `the catalog ${path} was replaced by another file while this command ran`;
    await expect(catalog.finishBackup('b1', { status: 'ok', finishedAt: 'x' })).rejects.toThrow(replaced);
    await expect(catalog.close()).rejects.toThrow(replaced);
  });

  it('deleted during a run: the next record fails, naming it', async () => {
    const path = join(dir, 'catalog.db');
    const catalog = openSqliteCatalog(path);
    await catalog.insertBackup(backup('b1'));
    await rm(path);
    await expect(catalog.listBackups()).rejects.toThrow(
      `the catalog ${path} was deleted while this command ran: what it recorded went with the old file and this run is NOT recorded`,
    );
    await expect(catalog.close()).rejects.toThrow('was deleted');
  });
});

/** `folder` seen through a read-only bind mount (as root), or undefined where mounting is not allowed. */
async function readOnlyView(folder: string): Promise<{ path: string; release(): void } | undefined> {
  const view = `${folder}-ro`;
  await mkdir(view);
  if (spawnSync('mount', ['--bind', '-o', 'ro', folder, view]).status !== 0) return undefined;
  return { path: view, release: () => spawnSync('umount', [view]) };
}

describe('a catalog on a read-only file system', async () => {
  const probe = await mkdtemp(join(tmpdir(), 'tricopy-ro-probe-'));
  const mountable = (await readOnlyView(probe)) !== undefined;
  spawnSync('umount', [`${probe}-ro`]);
  await rm(`${probe}-ro`, { recursive: true, force: true });
  await rm(probe, { recursive: true, force: true });

  it.skipIf(!mountable)(
    'is read by the read-only commands and refused by the others with one line naming it and why',
    async () => {
      const folder = join(dir, 'cat');
      const writable = openSqliteCatalog(join(folder, 'catalog.db'));
      await writable.insertBackup({
        id: 'b1',
        job: 'app',
        sourceType: 'sqlite',
        startedAt: '2025-03-01T10:00:00.000Z',
      });
      await writable.close();
      const view = (await readOnlyView(folder)) as { path: string; release(): void };
      try {
        const path = join(view.path, 'catalog.db');
        const reader = openSqliteCatalog(path, undefined, { readOnly: true });
        expect((await reader.listBackups()).map((b) => b.id)).toEqual(['b1']);
        await reader.close();
        expect(() => openSqliteCatalog(path)).toThrow(
          `cannot open the catalog ${path}: its file system is read-only (EROFS); make it writable, or point catalog: in the config at a writable path`,
        );
      } finally {
        view.release();
      }
    },
  );

  it.skipIf(!mountable)(
    'of an older schema is brought up to date in memory for reading, the file untouched',
    async () => {
      const folder = join(dir, 'old');
      await mkdir(folder);
      const path = join(folder, 'catalog.db');
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      for (const migration of MIGRATIONS.slice(0, 3)) db.exec(migration);
      db.pragma('user_version = 3');
      db.exec(
        `INSERT INTO backups (id, job, status, started_at, source_type) VALUES ('b1', 'app', 'ok', 't', 'sqlite')`,
      );
      db.close();
      const before = await readFile(path);
      const view = (await readOnlyView(folder)) as { path: string; release(): void };
      try {
        const reader = openSqliteCatalog(join(view.path, 'catalog.db'), undefined, { readOnly: true });
        expect((await reader.listBackups()).map((b) => [b.id, b.seq])).toEqual([['b1', 1]]);
        await reader.close();
      } finally {
        view.release();
      }
      expect(await readFile(path)).toEqual(before);
    },
  );
});
