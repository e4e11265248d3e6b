import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireJobLock, type LockPurpose } from './job-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tricopy-lock-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const SINCE = '2026-12-01T10:00:00.000Z';

describe('a job lock held by someone else: the refusal says what holds it', () => {
  it.each([
    ['verify', 'is being verified'],
    ['backup', 'is being backed up'],
    ['prune', 'is being pruned'],
    ['repair', 'is being repaired'],
    ['forget', 'is having a backup forgotten'],
  ] as [LockPurpose, string][])('held for %s', async (purpose, being) => {
    const path = join(dir, 'app.lock');
    const held = await acquireJobLock(path, 'app', new Date(SINCE), purpose);
    if (!held.acquired) throw new Error('the test could not take the lock');
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: process.pid, purpose });
    const refused = await acquireJobLock(path, 'app', new Date(), 'backup');
    await held.lock.release();
    expect(refused.acquired === false && refused.message).toBe(
      `job "app" ${being} by pid ${process.pid} since ${SINCE}; try again when it ends (lock file ${path})`,
    );
  });

  it('a lock on another host names the host', async () => {
    const path = join(dir, 'app.lock');
    await writeFile(
      path,
      JSON.stringify({ pid: 42, host: 'nas-2', since: SINCE, token: 't', purpose: 'verify' }),
    );
    const refused = await acquireJobLock(path, 'app', new Date(), 'prune');
    expect(refused.acquired === false && refused.message).toBe(
      `job "app" is being verified by pid 42 on nas-2 since ${SINCE}; try again when it ends (lock file ${path})`,
    );
  });

  it('a lock file written by an older tricopy (no purpose) is still read, and its holder still keeps it', async () => {
    const path = join(dir, 'app.lock');
    const old = { pid: process.pid, host: hostname(), since: SINCE, token: 'old' };
    await writeFile(path, `${JSON.stringify(old)}\n`);
    const refused = await acquireJobLock(path, 'app', new Date(), 'backup');
    expect(refused.acquired === false && refused.message).toBe(
      `job "app" is already running (pid ${process.pid} since ${SINCE}; lock file ${path})`,
    );
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(old);
  });
});
