import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Source } from '@tricopy/contract';
import { expectCode, recordingLogger, testContext } from '@tricopy/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import plugin, { SQLITE_FORMAT, sqliteOptionsSchema } from './index.js';
import { copyChinook, createOddDatabase, readContent } from './test-support/fixtures.js';

let dir = '';
let chinook = '';
const logger = recordingLogger();
const logged = logger.messages;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-sqlite-target-'));
  chinook = await copyChinook(dir);
  logged.length = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function source(): Source {
  return plugin.create(
    sqliteOptionsSchema.parse({ path: chinook }),
    testContext({ name: 'app', configDir: dir, workDir: join(dir, 'work'), logger }),
  ) as Source;
}

/** `restore --force` of the Chinook database to `target`. */
function forceRestore(target: string) {
  return source().restore(
    createReadStream(chinook),
    { path: target, force: true },
    { format: SQLITE_FORMAT },
  );
}

async function refusedWithoutChange(target: string, reason: RegExp) {
  const before = await readdir(dir);
  const error = await expectCode(() => forceRestore(target), 'SOURCE');
  expect(error.message).toContain(target);
  expect(error.message).toMatch(reason);
  const checked = await expectCode(
    () => source().checkRestoreTarget?.({ path: target, force: true }),
    'SOURCE',
  );
  expect(checked.message).toBe(error.message);
  expect(await readdir(dir)).toEqual(before);
}

describe('restore --force refuses a target that is not a SQLite database file', () => {
  it('a symbolic link (to a device or to a database) stays a link; what it points to is untouched', async () => {
    const link = join(dir, 'null-link.sqlite');
    await symlink('/dev/null', link);
    await refusedWithoutChange(link, /it is a symbolic link, not a regular file/);
    const toDatabase = join(dir, 'db-link.sqlite');
    const other = join(dir, 'other.sqlite');
    createOddDatabase(other);
    const otherContent = readContent(other);
    await symlink(other, toDatabase);
    await refusedWithoutChange(toDatabase, /it is a symbolic link/);
    expect((await stat('/dev/null')).isCharacterDevice()).toBe(true);
    expect(readContent(other)).toEqual(otherContent);
  });

  it.runIf(process.getuid?.() === 0)('a character device stays a device', async () => {
    const device = join(dir, 'null');
    expect(spawnSync('mknod', [device, 'c', '1', '3']).status).toBe(0);
    await refusedWithoutChange(device, /it is a character device/);
    expect((await stat(device)).isCharacterDevice()).toBe(true);
  });

  it('a fifo, a directory, and a fifo at a side file (-wal) are refused', async () => {
    const fifo = join(dir, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await refusedWithoutChange(fifo, /it is a named pipe \(fifo\)/);
    const folder = join(dir, 'folder.sqlite');
    await mkdir(folder);
    await refusedWithoutChange(folder, /it is a directory/);
    const target = join(dir, 'db.sqlite');
    createOddDatabase(target);
    expect(spawnSync('mkfifo', [`${target}-wal`]).status).toBe(0);
    await refusedWithoutChange(`${target}-wal`, /it is a named pipe/);
  });

  it('a regular file that is not a SQLite database keeps its content', async () => {
    const notes = join(dir, 'notes.txt');
    await writeFile(notes, 'my notes, not a database\n');
    await refusedWithoutChange(notes, /it is not a SQLite database \(no SQLite header\)/);
    expect(await readFile(notes, 'utf8')).toBe('my notes, not a database\n');
  });

  it('a SQLite database and an empty file are replaced', async () => {
    const database = join(dir, 'live.sqlite');
    createOddDatabase(database);
    await forceRestore(database);
    expect(readContent(database)).toEqual(readContent(chinook));
    const empty = join(dir, 'empty.sqlite');
    await writeFile(empty, '');
    await forceRestore(empty);
    expect(readContent(empty)).toEqual(readContent(chinook));
  });
});

describe('staging files killed restores left beside the target', () => {
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'host';
  const staging = (pid: number, hex: string) => `.restored.sqlite.tricopy-restore-${host}-${pid}-${hex}`;

  /** The pid of a process that has ended. */
  function deadPid(): number {
    const ended = spawnSync('sh', ['-c', 'echo $$']);
    return Number(String(ended.stdout).trim());
  }

  it('a later restore removes those of dead processes (and their side files), says so, and keeps a live one', async () => {
    const dead = staging(deadPid(), 'aaaaaaaaaaaa');
    const live = staging(process.ppid, 'bbbbbbbbbbbb');
    const foreign = `.restored.sqlite.tricopy-restore-otherhost-${deadPid()}-cccccccccccc`;
    for (const name of [dead, `${dead}-journal`, live, foreign])
      await writeFile(join(dir, name), 'x'.repeat(4096));
    const target = join(dir, 'restored.sqlite');
    await source().restore(createReadStream(chinook), { path: target }, { format: SQLITE_FORMAT });
    expect(readContent(target)).toEqual(readContent(chinook));
    expect((await readdir(dir)).filter((name) => name.includes('tricopy-restore')).sort()).toEqual(
      [foreign, live].sort(),
    );
    expect(logged).toEqual([
      expect.stringContaining(`removed ${join(dir, dead)}, left by a restore that was killed`),
      expect.stringContaining(`removed ${join(dir, `${dead}-journal`)}, left by a restore that was killed`),
    ]);
  });
});
