import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import {
  chmod,
  chown,
  copyFile,
  mkdir,
  mkdtemp,
  open,
  readdir,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { Dump, RestoreTarget, Source } from '@tricopy/contract';
import { drain, expectCode, testContext } from '@tricopy/testkit';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import plugin, { SQLITE_FORMAT, sqliteOptionsSchema } from './index.js';
import { copyChinook, createOddDatabase, readContent } from './test-support/fixtures.js';

let dir = '';
let workDir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-sqlite-test-'));
  workDir = join(dir, 'work');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function makeSource(path: string, extra: Record<string, unknown> = {}): Promise<Source> {
  return plugin.create(
    sqliteOptionsSchema.parse({ path, ...extra }),
    testContext({ name: 'app', configDir: dir, workDir }),
  );
}

/** Writes the dump to a file and returns it with what `completion` resolved to. */
async function dumpToFile(source: Source, file = join(dir, 'dump.sqlite')) {
  const dump = await source.dump();
  await pipeline(dump.stream, createWriteStream(file));
  return { file, info: await dump.completion };
}

/** Runs a dump to its end and returns what it failed with. */
async function failingDump(source: Source) {
  return expectCode(async () => {
    const dump: Dump = await source.dump();
    await drain(dump.stream);
    await dump.completion;
  }, 'SOURCE');
}

function count(path: string, table: string): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return Number(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
  } finally {
    db.close();
  }
}

describe('options and plugin', () => {
  it('requires path, defaults busyTimeoutMs to 5000 and refuses unknown keys', () => {
    expect(sqliteOptionsSchema.parse({ path: 'a.db' })).toEqual({ path: 'a.db', busyTimeoutMs: 5000 });
    expect(sqliteOptionsSchema.safeParse({}).success).toBe(false);
    expect(sqliteOptionsSchema.safeParse({ path: 'a.db', busyTimeout: 1 }).success).toBe(false);
    expect(plugin.type).toBe('sqlite');
    expect(plugin.kind).toBe('source');
  });

  it('resolves a relative path against the config folder', async () => {
    await copyChinook(dir);
    const source = await makeSource('chinook.sqlite');
    expect(source.describe()).toBe(join(dir, 'chinook.sqlite'));
    const status = await source.check();
    expect(status.engine).toBe('sqlite');
    expect(status.engineVersion).toMatch(/^3\.\d+\.\d+$/);
  });
});

describe('dump', () => {
  it('streams a snapshot of Chinook with exact counts, then removes its temp folder', async () => {
    const path = await copyChinook(dir);
    const source = await makeSource(path);
    const { file, info } = await dumpToFile(source);
    expect(info.engine).toBe('sqlite');
    const counts = Object.fromEntries((info.tables ?? []).map((table) => [table.name, table.rows]));
    expect(counts).toMatchObject({ Album: 347, Artist: 275, Track: 3503, Invoice: 412, InvoiceLine: 2240 });
    expect(readContent(file)).toEqual(readContent(path));
    expect(await readdir(workDir)).toEqual([]);
  });

  it('says how big the snapshot is before streaming it (Dump.sizeHint)', async () => {
    const path = await copyChinook(dir);
    const dump = await (await makeSource(path)).dump();
    let bytes = 0;
    for await (const chunk of dump.stream as AsyncIterable<Buffer>) bytes += chunk.length;
    await dump.completion;
    expect(dump.sizeHint).toBe(bytes);
  });

  it('makes the snapshot file private (0600) while it exists', async () => {
    const path = await copyChinook(dir);
    const dump = await (await makeSource(path)).dump();
    const [folder] = await readdir(workDir);
    expect((await stat(join(workDir, folder!))).mode & 0o777).toBe(0o700);
    await drain(dump.stream);
    await dump.completion;
  });

  it('rejects completion and cleans up when the reader stops early', async () => {
    const path = await copyChinook(dir);
    const dump = await (await makeSource(path)).dump();
    dump.stream.destroy();
    await expectCode(() => dump.completion, 'SOURCE');
    expect(await readdir(workDir)).toEqual([]);
  });

  it('stops when aborted', async () => {
    const path = await copyChinook(dir);
    const source = await makeSource(path);
    await expect(source.dump({ signal: AbortSignal.abort() })).rejects.toBeDefined();
  });

  it('takes a consistent snapshot of a WAL database while another process keeps writing', async () => {
    const path = join(dir, 'busy.sqlite');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)');
    const insert = db.prepare('INSERT INTO t (payload) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 30_000; i++) insert.run(Buffer.alloc(300, i % 256));
    })();
    db.close();

    const writerScript = fileURLToPath(new URL('../test-support/sqlite-writer.mjs', import.meta.url));
    const writer: ChildProcess = spawn(process.execPath, [writerScript, path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [first] = await once(writer.stdout!, 'data');
      expect(String(first)).toContain('ready');
      const before = count(path, 't');
      const { file, info } = await dumpToFile(await makeSource(path));
      const snapshotRows = count(file, 't');
      // Wait until the writer has visibly moved past the snapshot, so "after" is really later.
      let after = count(path, 't');
      while (after <= snapshotRows) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        after = count(path, 't');
      }
      const snapshot = new Database(file, { readonly: true });
      expect(snapshot.pragma('integrity_check', { simple: true })).toBe('ok');
      snapshot.close();
      expect(snapshotRows).toBeGreaterThanOrEqual(before);
      expect(snapshotRows).toBeLessThanOrEqual(after);
      expect(info.tables).toEqual([{ name: 't', rows: snapshotRows, exact: true }]);
    } finally {
      writer.kill('SIGTERM');
      if (writer.exitCode === null) await once(writer, 'exit');
    }
  });
});

describe("dump with the engine's zstd offer (the default)", () => {
  const compression = { codec: 'zstd', level: 3 } as const;

  it('is not taken up: the raw snapshot reaches the engine, which compresses it and proves every byte', async () => {
    const path = await copyChinook(dir);
    const dump = await (await makeSource(path)).dump({ compression });
    expect(dump.compression).toBeUndefined();
    const raw = join(dir, 'dump.sqlite');
    await pipeline(dump.stream, createWriteStream(raw));
    await dump.completion;
    expect(readContent(raw)).toEqual(readContent(path));
    expect(await readdir(workDir)).toEqual([]);
  });

  it('rejects completion and cleans up when the reader stops early', async () => {
    const path = await copyChinook(dir);
    const dump = await (await makeSource(path)).dump({ compression });
    dump.stream.destroy();
    await expectCode(() => dump.completion, 'SOURCE');
    expect(await readdir(workDir)).toEqual([]);
  });
});

describe('dump failures name the file and what to do', () => {
  it('missing file', async () => {
    const source = await makeSource('nope.sqlite');
    for (const error of [await expectCode(() => source.check(), 'SOURCE'), await failingDump(source)]) {
      expect(error.message).toContain('source "app"');
      expect(error.message).toContain(join(dir, 'nope.sqlite'));
      expect(error.message).toContain('does not exist');
    }
  });

  it('a folder instead of a file', async () => {
    await mkdir(join(dir, 'folder.sqlite'));
    const error = await failingDump(await makeSource('folder.sqlite'));
    expect(error.message).toContain('is a folder');
  });

  it('a file that is not a SQLite database', async () => {
    await writeFile(join(dir, 'notes.sqlite'), 'hello, I am a text file\n'.repeat(200));
    const source = await makeSource('notes.sqlite');
    const error = await failingDump(source);
    expect(error.message).toContain(`${join(dir, 'notes.sqlite')} is not a SQLite database`);
    await expectCode(() => source.check(), 'SOURCE');
  });

  it('a database locked by a writer for longer than busyTimeoutMs', async () => {
    const path = await copyChinook(dir);
    const writer = new Database(path);
    writer.pragma('journal_mode = DELETE');
    writer.exec('BEGIN EXCLUSIVE');
    try {
      const error = await failingDump(await makeSource(path, { busyTimeoutMs: 100 }));
      expect(error.message).toContain('stayed locked');
      expect(error.message).toContain('busyTimeoutMs (100 ms)');
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
    expect(await readdir(workDir)).toEqual([]);
  });

  it('a corrupt database fails the integrity check of the snapshot', async () => {
    const path = await copyChinook(dir);
    const size = (await stat(path)).size;
    const handle = await open(path, 'r+');
    // Scribble over the middle of the file: b-tree pages, not the header.
    await handle.write(Buffer.alloc(4096 * 4, 0x41), 0, 4096 * 4, Math.floor(size / 2 / 4096) * 4096);
    await handle.close();
    const error = await failingDump(await makeSource(path));
    expect(error.message).toMatch(/integrity_check|corrupt/);
    expect(error.message).toContain(path);
    expect(await readdir(workDir)).toEqual([]);
  });

  it('an unreadable file (as an unprivileged user)', async (ctx) => {
    if (process.getuid?.() !== 0) ctx.skip('needs root to run a child process as "nobody"');
    const path = await copyChinook(dir);
    await chmod(dir, 0o755);
    await chmod(path, 0o600);
    const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      const plugin = (await import(${JSON.stringify(entry)})).default;
      const ctx = { name: 'app', configDir: '/', workDir: '/tmp/tricopy-nobody-work', logger: { debug(){}, info(){}, warn(){}, error(){} }, redact: (t) => t };
      const source = await plugin.create({ path: ${JSON.stringify(path)}, busyTimeoutMs: 100 }, ctx);
      try { await source.dump(); console.log('DUMPED'); } catch (error) { console.log(error.code + ' ' + error.message); }
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      cwd: '/',
    });
    expect(child.stderr).toBe('');
    expect(child.stdout).toMatch(/^SOURCE source "app": (cannot read|cannot open) /);
    expect(child.stdout).toContain(path);
    expect(child.stdout).toMatch(/permission denied|check that tricopy can read/);
  });
});

function checkTarget(source: Source, target: RestoreTarget): Promise<void> {
  if (source.checkRestoreTarget === undefined) throw new Error('the sqlite source has no checkRestoreTarget');
  return source.checkRestoreTarget(target);
}

describe('restore', () => {
  async function chinookDump() {
    const path = await copyChinook(dir);
    const source = await makeSource(path);
    const { file } = await dumpToFile(source);
    return { path, source, file };
  }

  async function leftovers(folder: string) {
    return (await readdir(folder)).filter((name) => name.includes('tricopy-restore'));
  }

  it('rejects a truncated dump and leaves nothing at the target', async () => {
    const { source, file } = await chinookDump();
    await truncate(file, Math.floor((await stat(file)).size / 2));
    await mkdir(join(dir, 'out'));
    const target = join(dir, 'out', 'restored.sqlite');
    const error = await expectCode(
      () => source.restore(createReadStream(file), { path: target }, { format: SQLITE_FORMAT }),
      'SOURCE',
    );
    expect(error.message).toContain('truncated');
    expect(await readdir(join(dir, 'out'))).toEqual([]);
  });

  it('refuses a target whose folder does not exist, creating nothing', async () => {
    const { source, file } = await chinookDump();
    const target = join(dir, 'missing', 'deeper', 'restored.sqlite');
    const error = await expectCode(
      () => source.restore(createReadStream(file), { path: target }, { format: SQLITE_FORMAT }),
      'SOURCE',
    );
    expect(error.message).toContain(`the folder ${join(dir, 'missing', 'deeper')} does not exist`);
    expect(await readdir(dir)).not.toContain('missing');
  });

  it('checkRestoreTarget refuses a missing folder and an existing file, changing nothing; force allows the file', async () => {
    const { source, path } = await chinookDump();
    const missing = join(dir, 'missing', 'restored.sqlite');
    const noFolder = await expectCode(() => checkTarget(source, { path: missing }), 'SOURCE');
    expect(noFolder.message).toContain(`the folder ${join(dir, 'missing')} does not exist`);
    const existing = await expectCode(() => checkTarget(source, { path }), 'SOURCE');
    expect(existing.message).toContain('already exists');
    await checkTarget(source, { path, force: true });
    await checkTarget(source, { path: join(dir, 'new.sqlite') });
    expect(await readdir(dir)).not.toContain('missing');
    expect(await readdir(dir)).not.toContain('new.sqlite');
  });

  it('rejects garbage and an empty dump', async () => {
    const { source } = await chinookDump();
    const target = join(dir, 'out.sqlite');
    const garbage = await expectCode(
      () =>
        source.restore(Readable.from([Buffer.alloc(8192, 'x')]), { path: target }, { format: SQLITE_FORMAT }),
      'SOURCE',
    );
    expect(garbage.message).toContain('not a valid SQLite database');
    const empty = await expectCode(
      () => source.restore(Readable.from([]), { path: target }, { format: SQLITE_FORMAT }),
      'SOURCE',
    );
    expect(empty.message).toContain('empty');
    expect(await leftovers(dir)).toEqual([]);
    await expect(stat(target)).rejects.toThrow();
  });

  it('needs a path and the sqlite-database format', async () => {
    const { source, file } = await chinookDump();
    const noPath = await expectCode(
      () => source.restore(createReadStream(file), { database: 'x' }, { format: SQLITE_FORMAT }),
      'SOURCE',
    );
    expect(noPath.message).toContain('target file path');
    const wrongFormat = await expectCode(
      () => source.restore(createReadStream(file), { path: join(dir, 'x.sqlite') }, { format: 'pg-custom' }),
      'SOURCE',
    );
    expect(wrongFormat.message).toContain('"pg-custom"');
  });

  it('treats a leftover -wal beside the target as an existing database', async () => {
    const { source, file } = await chinookDump();
    const target = join(dir, 'restored.sqlite');
    await writeFile(`${target}-wal`, 'stale');
    const error = await expectCode(
      () => source.restore(createReadStream(file), { path: target }, { format: SQLITE_FORMAT }),
      'SOURCE',
    );
    expect(error.message).toContain(`refusing to restore over ${target}-wal`);
  });

  it('with force, replaces a WAL database and never replays its stale -wal into the new file', async () => {
    const { path, source, file } = await chinookDump();
    const target = join(dir, 'live.sqlite');
    createOddDatabase(target);
    // Keep a connection open so the WAL holds committed frames, and copy them as a crash would leave them.
    const holder = new Database(target);
    holder.pragma('wal_autocheckpoint = 0');
    holder.exec(`INSERT INTO log VALUES ('stale', 'frame')`);
    await copyFile(`${target}-wal`, join(dir, 'saved-wal'));
    holder.close();
    await copyFile(join(dir, 'saved-wal'), `${target}-wal`);

    await source.restore(createReadStream(file), { path: target, force: true }, { format: SQLITE_FORMAT });
    expect(readContent(target)).toEqual(readContent(path));
    expect(await leftovers(dir)).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)(
    'with force, the replaced database keeps the owner, group and mode of the file it replaces',
    async () => {
      const { path, source, file } = await chinookDump();
      const target = join(dir, 'app.sqlite');
      createOddDatabase(target);
      await chown(target, 65534, 65534); // nobody:nogroup, as an application's database often is
      await chmod(target, 0o664);
      await source.restore(createReadStream(file), { path: target, force: true }, { format: SQLITE_FORMAT });
      expect(readContent(target)).toEqual(readContent(path));
      const after = await stat(target);
      expect([after.uid, after.gid, (after.mode & 0o7777).toString(8)]).toEqual([65534, 65534, '664']);
    },
  );

  it('restoreTest counts the rows and leaves nothing behind', async () => {
    const { source, file } = await chinookDump();
    const counts = await source.restoreTest(createReadStream(file), { format: SQLITE_FORMAT });
    expect(counts.find((table) => table.name === 'Track')?.rows).toBe(3503);
    expect(await readdir(workDir)).toEqual([]);
  });
});
