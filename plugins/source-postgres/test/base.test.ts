import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { SourceError } from '@tricopy/contract';
import { makeTempDir, type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { dumpToFile, rejectionOf } from '@tricopy/testkit';
import { execa } from 'execa';
import { create, WriteEntry } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaseBackupDetails, PostgresBaseSource } from '../src/index.js';
import { asPostgresUser, chownToPostgres, giveToPostgres, startRestored } from './base-cluster.js';
import { makeSource } from './helpers.js';

let server: PostgresServer;
let dir: string;
let removeDir: () => Promise<void>;
let tarFile: string;
let details: BaseBackupDetails;

function baseSource(): PostgresBaseSource {
  return makeSource(server, dir, { mode: 'base' }) as unknown as PostgresBaseSource;
}

beforeAll(async () => {
  server = await startPostgres();
  const temp = await makeTempDir('pg-base-test', 0o755);
  dir = temp.path;
  removeDir = temp.remove;
  await server.createDatabase('shop');
  await server.sql(
    'shop',
    `CREATE TABLE items (id int PRIMARY KEY, name text);
     INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1234) g;
     CREATE TABLE notes (body text); INSERT INTO notes VALUES ('it''s here');`,
  );
  // The source's own pg_wal stands in for a WAL archive (last test): a slot keeps checkpoints from recycling it.
  await server.sql('postgres', "SELECT pg_create_physical_replication_slot('keep_wal', true)");
  const source = baseSource();
  const dump = await source.dump();
  expect(dump.format).toBe('pg-base-tar');
  expect(dump.extension).toBe('tar');
  tarFile = join(dir, 'base.tar');
  const info = await dumpToFile(dump, tarFile);
  expect(info.tables).toEqual([]);
  details = info.details as unknown as BaseBackupDetails;
});

afterAll(async () => {
  await server?.stop();
  await removeDir?.();
});

async function tarMember(name: string): Promise<string> {
  const { stdout } = await execa('tar', ['-xOf', tarFile, name]);
  return stdout;
}

describe('base backup (mode: base)', () => {
  it('reports where the backup starts and ends, as backup_label, backup_manifest and the server say', async () => {
    const label = await tarMember('backup_label');
    const manifest = JSON.parse(await tarMember('backup_manifest')) as {
      'WAL-Ranges': { Timeline: number; 'Start-LSN': string; 'End-LSN': string }[];
    };
    const start = /START WAL LOCATION: (\S+) \(file (\w+)\)/.exec(label)!;
    const systemId = await server.sql('postgres', 'SELECT system_identifier FROM pg_control_system()');
    const range = manifest['WAL-Ranges'][0]!;
    const stopWal = await server.sql('postgres', `SELECT pg_walfile_name('${range['End-LSN']}'::pg_lsn - 1)`);
    expect(details).toMatchObject({
      kind: 'base',
      timeline: 1,
      startLsn: start[1],
      startWal: start[2],
      stopLsn: range['End-LSN'],
      stopWal,
      systemIdentifier: systemId,
    });
    const walInTar = (await execa('tar', ['-tf', tarFile])).stdout
      .split('\n')
      .filter((name) => /^pg_wal\/[0-9A-F]{24}$/.test(name))
      .map((name) => name.slice('pg_wal/'.length))
      .sort();
    expect(walInTar[0]).toBe(details.startWal);
    expect(walInTar.at(-1)).toBe(details.stopWal);
    const labelTime = /START TIME: (.+)/.exec(label)![1]!;
    expect(new Date(details.startTime).getTime()).toBe(
      new Date(labelTime.replace(' UTC', 'Z').replace(' ', 'T')).getTime(),
    );
    expect(new Date(details.stopTime).getTime()).toBeGreaterThanOrEqual(
      new Date(details.startTime).getTime(),
    );
  });

  it('restores into a new data directory that pg_verifybackup accepts and PostgreSQL starts with the same rows', async () => {
    const target = join(dir, 'restored');
    await baseSource().restore(createReadStream(tarFile), { directory: target }, { format: 'pg-base-tar' });
    expect((await stat(target)).mode & 0o777).toBe(0o700);
    const modes = await execa('find', [target, '-perm', '/077']);
    expect(modes.stdout).toBe('');
    expect((await readdir(dir)).filter((name) => name.includes('tricopy-restore'))).toEqual([]);
    await execa(join(server.binDir, 'pg_verifybackup'), ['-q', target]);

    const sockets = join(dir, 'sock-restored');
    await mkdir(sockets, { mode: 0o700 });
    await giveToPostgres(target);
    await chownToPostgres(sockets);
    const restored = await startRestored(server.binDir, target, sockets);
    try {
      expect(await restored.sql('shop', 'SELECT count(*), sum(id) FROM items')).toBe(
        await server.sql('shop', 'SELECT count(*), sum(id) FROM items'),
      );
      expect(await restored.sql('shop', 'SELECT body FROM notes')).toBe("it's here");
    } finally {
      await restored.stop();
    }
  });

  it('refuses a data directory that is not empty, changing nothing', async () => {
    const target = join(dir, 'occupied');
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'mine');
    const source = baseSource();
    const checked = await rejectionOf(source.checkRestoreTarget({ directory: target }));
    expect(checked).toBeInstanceOf(SourceError);
    expect(checked.message).toMatch(/is not empty: restore into a new or empty folder/);
    const error = await rejectionOf(
      source.restore(createReadStream(tarFile), { directory: target }, { format: 'pg-base-tar' }),
    );
    expect(error.message).toMatch(/is not empty/);
    expect(await readdir(target)).toEqual(['keep.txt']);
    expect((await readdir(dir)).filter((name) => name.includes('tricopy-restore'))).toEqual([]);
  });

  const escapes: [string, (root: string) => string][] = [
    ['a ../ entry', () => '../escaped.txt'],
    ['an absolute path', (root) => join(root, 'escaped.txt')],
  ];
  for (const [what, escapingPath] of escapes) {
    it(`refuses an archive with ${what}, leaving no directory and writing nothing outside`, async () => {
      const archive = create({ preservePaths: true }, [
        new WriteEntry({ path: 'backup_label', mode: 0o600 }, 'x'),
        new WriteEntry({ path: escapingPath(dir), mode: 0o600 }, 'outside'),
      ]);
      const bytes = new Uint8Array(await new Response(archive).arrayBuffer());
      const target = join(dir, 'evil');
      const error = await rejectionOf(
        baseSource().restore(Readable.from([bytes]), { directory: target }, { format: 'pg-base-tar' }),
      );
      expect(error).toBeInstanceOf(SourceError);
      expect(error.message).toMatch(/refusing the base backup archive/);
      expect(await readdir(dir)).not.toContain('evil');
      expect(await readdir(dir)).not.toContain('escaped.txt');
      expect((await readdir(dir)).filter((name) => name.includes('tricopy-restore'))).toEqual([]);
    });
  }

  it('refuses an archive holding a symbolic link', async () => {
    const archive = create({}, [
      new WriteEntry({ path: 'backup_label', mode: 0o600 }, 'x'),
      new WriteEntry({ path: 'link', type: 'SymbolicLink', linkpath: '/etc' }),
    ]);
    const bytes = new Uint8Array(await new Response(archive).arrayBuffer());
    const target = join(dir, 'linked');
    const error = await rejectionOf(
      baseSource().restore(Readable.from([bytes]), { directory: target }, { format: 'pg-base-tar' }),
    );
    expect(error.message).toMatch(/refusing the base backup archive: the archive holds a SymbolicLink entry/);
    expect(await readdir(dir)).not.toContain('linked');
  });

  it('writes the recovery settings exactly, quoting for postgresql.conf, and recovery.signal', async () => {
    const target = join(dir, 'recovering');
    const before = await tarMember('postgresql.auto.conf');
    await baseSource().restore(
      createReadStream(tarFile),
      { directory: target },
      {
        format: 'pg-base-tar',
        recovery: {
          restoreCommand: `'/usr/bin/node' 'it'\\''s cli.js' wal-fetch %f "%p" \\ end`,
          targetTime: '2026-12-07T01:02:03.000Z',
        },
      },
    );
    const auto = await readFile(join(target, 'postgresql.auto.conf'), 'utf8');
    expect(auto).toBe(
      `${before}\n` +
        '\n# recovery settings written by tricopy restore\n' +
        `restore_command = '''/usr/bin/node'' ''it''\\\\''''s cli.js'' wal-fetch %f "%p" \\\\ end'\n` +
        "recovery_target_time = '2026-12-07T01:02:03.000Z'\n" +
        "recovery_target_action = 'promote'\n" +
        "recovery_target_timeline = 'latest'\n",
    );
    expect(await readFile(join(target, 'recovery.signal'), 'utf8')).toBe('');
  });

  it('writes settings that PostgreSQL reads back as given (its own parser: postgres -C)', async () => {
    const target = join(dir, 'parsed');
    const command = `cp '/wal dir/%f' "%p" # it's \\ fine`;
    await baseSource().restore(
      createReadStream(tarFile),
      { directory: target },
      { format: 'pg-base-tar', recovery: { restoreCommand: command, targetName: 'before it' } },
    );
    await giveToPostgres(target);
    const setting = async (name: string) =>
      (await asPostgresUser(join(server.binDir, 'postgres'), ['-D', target, '-C', name])).stdout;
    expect(await setting('restore_command')).toBe(command);
    expect(await setting('recovery_target_name')).toBe('before it');
  });

  it('restore test as root: refused in one line naming the fix, before anything is extracted', async () => {
    if (process.getuid?.() !== 0) return;
    const error = await rejectionOf(
      baseSource().restoreTest(createReadStream(tarFile), { format: 'pg-base-tar' }),
    );
    expect(error).toBeInstanceOf(SourceError);
    expect(error.message).toMatch(
      /refuses to run as root: run tricopy as the PostgreSQL OS user, e\.g\. runuser -u postgres/,
    );
  });

  it('restore test: starts the restored cluster, counts the rows of the database, inspects, removes everything', async () => {
    const workDir = join(dir, 'restore-test-work');
    await mkdir(workDir);
    await chownToPostgres(workDir);
    const answer = await runRestoreTest(workDir, { inspectSql: 'SELECT body FROM notes' });
    expect(answer).toEqual({
      tables: [
        { name: 'public.items', rows: 1234, exact: true },
        { name: 'public.notes', rows: 1, exact: true },
      ],
      inspected: "it's here",
    });
    expect(await readdir(workDir)).toEqual([]);
  });

  it('restore test: a server that cannot reach its recovery target fails in one line, and is removed', async () => {
    const workDir = join(dir, 'restore-test-fail');
    await mkdir(workDir);
    await chownToPostgres(workDir);
    const answer = await runRestoreTest(workDir, {
      inspectSql: 'SELECT 1',
      recovery: { restoreCommand: 'false', targetName: 'never-created' },
    });
    expect(answer.kind).toBe('SourceError');
    expect(answer.error).toMatch(
      /PostgreSQL (did not start on|stopped during recovery of) the restored base backup: recovery ended before configured recovery target was reached$/,
    );
    expect(await readdir(workDir)).toEqual([]);
  });

  it('a cancelled backup fails its completion in one line, and pg_basebackup is stopped', async () => {
    const controller = new AbortController();
    const dump = await baseSource().dump({ signal: controller.signal });
    dump.stream.once('data', () => controller.abort());
    dump.stream.resume();
    const error = await rejectionOf(dump.completion);
    expect(error).toBeInstanceOf(SourceError);
    expect(error.message).toMatch(/pg_basebackup was cancelled; the backup is incomplete$/);
  });

  it('check: names pg_basebackup and the server; what restore tests lack here is a restore need', async () => {
    const status = await baseSource().check();
    expect(status.engine).toBe('postgresql');
    expect(status.notes?.[0]).toMatch(/^pg_basebackup 15\.\d+ can back up server 15\.\d+/);
    // pg_ctl of the server's version is there (the test server runs on it); root is the one thing lacking.
    expect(status.restoreNeeds).toEqual(
      process.getuid?.() === 0
        ? [
            'PostgreSQL refuses to run as root: run tricopy as the PostgreSQL OS user (e.g. runuser -u postgres -- tricopy …)',
          ]
        : undefined,
    );
  });

  it('check and backup: a role without REPLICATION is refused in one line naming the fix', async () => {
    await server.sql('postgres', "CREATE ROLE reader LOGIN PASSWORD 'pw-reader'");
    try {
      const source = makeSource(server, dir, {
        mode: 'base',
        user: 'reader',
        password: 'pw-reader',
      }) as unknown as PostgresBaseSource;
      for (const attempt of [() => source.check(), () => source.dump()]) {
        const error = await rejectionOf(attempt());
        expect(error).toBeInstanceOf(SourceError);
        expect(error.message).toMatch(
          /role "reader" lacks the REPLICATION attribute .*: ALTER ROLE reader REPLICATION/,
        );
      }
    } finally {
      await server.sql('postgres', 'DROP ROLE reader');
    }
  });

  it('check and backup: a second tablespace is refused in one line naming the fix', async () => {
    const location = join(dir, 'tablespace');
    await mkdir(location);
    await chownToPostgres(location);
    await server.sql('postgres', `CREATE TABLESPACE elsewhere LOCATION '${location}'`);
    try {
      for (const attempt of [() => baseSource().check(), () => baseSource().dump()]) {
        const error = await rejectionOf(attempt());
        expect(error).toBeInstanceOf(SourceError);
        expect(error.message).toMatch(
          /tablespaces besides pg_default \(elsewhere\).*move their objects to pg_default/,
        );
      }
    } finally {
      await server.sql('postgres', 'DROP TABLESPACE elsewhere');
    }
  });

  // Last: it writes to the source database.
  it('restore test with recovery settings: replays archived WAL to a named restore point', async () => {
    await server.sql(
      'shop',
      `INSERT INTO items SELECT g, 'later ' || g FROM generate_series(2001, 2100) g;
       SELECT pg_create_restore_point('after the hundred');
       INSERT INTO items SELECT g, 'too late ' || g FROM generate_series(3001, 3050) g;
       SELECT pg_switch_wal();`,
    );
    const workDir = join(dir, 'restore-test-pitr');
    await mkdir(workDir);
    await chownToPostgres(workDir);
    const restoreCommand = `cp '${server.dataDir}/pg_wal/%f' "%p"`;
    const answer = await runRestoreTest(workDir, {
      inspectSql: "SELECT count(*) FROM items WHERE name LIKE 'later%'",
      recovery: { restoreCommand, targetName: 'after the hundred' },
    });
    expect(answer).toEqual({
      tables: [
        { name: 'public.items', rows: 1334, exact: true },
        { name: 'public.notes', rows: 1, exact: true },
      ],
      inspected: '100',
    });
    expect(await readdir(workDir)).toEqual([]);
  });
});

interface RunnerAnswer {
  readonly tables?: unknown;
  readonly inspected?: unknown;
  readonly error?: string;
  readonly kind?: string;
}

/** The plugin's restoreTest, run by test/restore-test-runner.mjs as the PostgreSQL OS user. */
async function runRestoreTest(
  workDir: string,
  request: { inspectSql: string; recovery?: { restoreCommand: string; targetName?: string } },
): Promise<RunnerAnswer> {
  const runner = fileURLToPath(new URL('./restore-test-runner.mjs', import.meta.url));
  const options = {
    mode: 'base',
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: 'shop',
    binDir: server.binDir,
  };
  const input = JSON.stringify({ ...request, options, workDir, tar: tarFile });
  const { stdout } = await asPostgresUser(process.execPath, [runner], { input });
  return JSON.parse(stdout) as RunnerAnswer;
}
