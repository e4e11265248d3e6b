import { createReadStream } from 'node:fs';
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RestoreTarget, SourceError, silentLogger, TricopyError } from '@tricopy/contract';
import { scratchDatabaseName } from '@tricopy/plugin-support';
import {
  findProcesses,
  freePort,
  makeTempDir,
  type PostgresServer,
  startPostgres,
  waitForProcess,
} from '@tricopy/test-servers';
import { dumpToFile, ownDatabaseRestoreCase, rejectionOf, scratchSweepCases } from '@tricopy/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESTORE_TEST_PREFIX } from '../src/index.js';
import { createScratchDatabase } from '../src/scratch.js';
import { NOISE_TABLE, TRICKY_SCHEMA } from './fixtures.js';
import { contentOf, databases, makeSource, schemaOf, underTest } from './helpers.js';

const CHINOOK = fileURLToPath(
  new URL('../../../../shared/fixtures/chinook/Chinook_PostgreSql.sql', import.meta.url),
);

let server: PostgresServer;
let dir: string;
let removeDir: () => Promise<void>;

beforeAll(async () => {
  server = await startPostgres();
  const temp = await makeTempDir('pg-plugin-test');
  dir = temp.path;
  removeDir = temp.remove;
  await server.sql('postgres', await readFile(CHINOOK, 'utf8'));
  await server.createDatabase('tricky');
  await server.sql('tricky', TRICKY_SCHEMA);
  await server.createDatabase('noisy');
  await server.sql('noisy', NOISE_TABLE);
});

afterAll(async () => {
  await server?.stop();
  await removeDir?.();
});

async function roundTrip(database: string, format: 'custom' | 'plain', copy: string) {
  const source = makeSource(server, dir, { database, format });
  const dump = await source.dump();
  expect(dump.format).toBe(format === 'custom' ? 'pg-custom' : 'pg-plain');
  expect(dump.extension).toBe(format === 'custom' ? 'pgdump' : 'sql');
  expect(dump.compressed).toBe(format === 'custom');
  const file = join(dir, `${copy}.${dump.extension}`);
  const info = await dumpToFile(dump, file);
  await source.restore(
    createReadStream(file),
    { database: copy, createDatabase: true },
    { format: dump.format },
  );
  return { source, dump, info, file };
}

describe('postgres source: round trips', () => {
  it('dumps Chinook (custom) with exact counts and restores it identically', async () => {
    const { info, source, file, dump } = await roundTrip('chinook', 'custom', 'chinook_copy');
    expect(dump.sizeHint).toBe(
      Number(await server.sql('chinook', 'SELECT pg_database_size(current_database())')),
    );
    expect(info.engine).toBe('postgresql');
    expect(info.engineVersion).toMatch(/^\d+\.\d+/);
    expect(info.toolVersion).toMatch(/^\d+\.\d+/);
    const track = info.tables?.find((table) => table.name === 'public.track');
    expect(track).toEqual({ name: 'public.track', rows: 3503, exact: true });
    expect(info.tables).toHaveLength(11);

    expect(await schemaOf(server, 'chinook_copy')).toEqual(await schemaOf(server, 'chinook'));
    expect(await contentOf(server, 'chinook_copy')).toEqual(await contentOf(server, 'chinook'));

    const tested = await source.restoreTest(createReadStream(file), { format: dump.format });
    expect(tested).toEqual(info.tables);
    expect((await databases(server)).filter((name) => name.startsWith(RESTORE_TEST_PREFIX))).toEqual([]);
  });

  it.each(['custom', 'plain'] as const)('round-trips the tricky schema (%s)', async (format) => {
    const copy = `tricky_copy_${format}`;
    const { info } = await roundTrip('tricky', format, copy);
    expect(await schemaOf(server, copy)).toEqual(await schemaOf(server, 'tricky'));
    expect(await contentOf(server, copy)).toEqual(await contentOf(server, 'tricky'));
    expect(info.tables?.map((table) => table.name)).toEqual([
      'Weird Schema.MixedCase Table',
      'public.child',
      'public.parent',
      'public.数据',
    ]);
    expect(await server.sql(copy, 'SELECT last_value FROM counter_seq')).toBe('4242');
    // The identity sequence continues where the original stopped; the trigger fires once per new row.
    expect(await server.sql(copy, "INSERT INTO parent (name) VALUES ('new') RETURNING id")).toBe('51');
    expect(
      await server.sql(copy, "INSERT INTO child (parent_id, note) VALUES (51, 'x') RETURNING note"),
    ).toBe('x!');
    expect(await server.sql(copy, "SELECT children FROM parent_summary WHERE name = 'parent 1'")).toBe('10');
  });

  it('counts rows in the snapshot pg_dump uses, not the live table', async () => {
    await server.sql(
      'tricky',
      'CREATE TABLE moving (id serial PRIMARY KEY); INSERT INTO moving SELECT FROM generate_series(1, 100);',
    );
    try {
      const source = makeSource(server, dir, { database: 'tricky' });
      const dump = await source.dump();
      // Committed after the snapshot was exported, before a single byte was read.
      await server.sql(
        'tricky',
        'INSERT INTO moving SELECT FROM generate_series(1, 25); DELETE FROM child WHERE id <= 10;',
      );
      const file = join(dir, 'moving.pgdump');
      const info = await dumpToFile(dump, file);
      const counts = Object.fromEntries((info.tables ?? []).map((table) => [table.name, table.rows]));
      expect(counts['public.moving']).toBe(100);
      expect(counts['public.child']).toBe(500);
      expect(await source.restoreTest(createReadStream(file), { format: 'pg-custom' })).toEqual(info.tables);
    } finally {
      await server.sql('tricky', 'DROP TABLE moving; ');
    }
  });

  it('honours schemas and excludeTables in the dump and in the counts alike', async () => {
    const source = makeSource(server, dir, {
      database: 'tricky',
      schemas: ['public'],
      excludeTables: ['数*'],
    });
    const dump = await source.dump();
    const file = join(dir, 'filtered.pgdump');
    const info = await dumpToFile(dump, file);
    expect(info.tables?.map((table) => table.name)).toEqual(['public.child', 'public.parent']);
    expect(await source.restoreTest(createReadStream(file), { format: dump.format })).toEqual(info.tables);
  });

  it('ignores PG* variables of the parent process', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      PGHOST: '/nonexistent',
      PGPORT: '1',
      PGDATABASE: 'chinook',
      PGUSER: 'nobody',
      PGOPTIONS: '-c statement_timeout=1',
    });
    try {
      const source = makeSource(server, dir, { database: 'tricky', format: 'plain' });
      const info = await dumpToFile(await source.dump(), join(dir, 'env.sql'));
      expect(info.tables?.some((table) => table.name === 'public.parent')).toBe(true);
      expect(await readFile(join(dir, 'env.sql'), 'utf8')).not.toContain('CREATE TABLE public.album');
    } finally {
      for (const key of ['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGOPTIONS']) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});

describe('postgres source: restore rules', () => {
  let file: string;
  beforeAll(async () => {
    file = join(dir, 'rules.pgdump');
    await dumpToFile(await makeSource(server, dir, { database: 'tricky' }).dump(), file);
  });

  it('refuses to restore over the database it backs up unless forced', async () => {
    const source = makeSource(server, dir, { database: 'tricky' });
    const error = await rejectionOf(
      source.restore(createReadStream(file), { database: 'tricky' }, { format: 'pg-custom' }),
    );
    expect(error).toBeInstanceOf(SourceError);
    expect(error.message).toMatch(
      /refusing to restore over database "tricky", the very database this job backs up.*force/,
    );
  });

  ownDatabaseRestoreCase(() => ({
    ...underTest(server, dir),
    file,
    format: 'pg-custom',
    reference: 'tricky',
  }));

  it('gives an existing empty database the comment and settings the backup recorded, in place', async () => {
    await server.createDatabase('empty_props');
    await server.sql(
      'postgres',
      "COMMENT ON DATABASE empty_props IS 'old'; ALTER DATABASE empty_props SET work_mem = '1MB';",
    );
    const databaseProperties = {
      owner: server.user,
      acl: [
        { grantee: server.user, privilege: 'CONNECT', grantable: false },
        { grantee: server.user, privilege: 'CREATE', grantable: false },
      ],
      comment: 'from the backup',
      connectionLimit: 7,
      settings: ['work_mem=4MB'],
      roleSettings: [],
    };
    await makeSource(server, dir, { database: 'tricky' }).restore(
      createReadStream(file),
      { database: 'empty_props' },
      { format: 'pg-custom', details: { databaseProperties } },
    );
    expect(
      await server.sql(
        'postgres',
        `SELECT concat_ws(' | ', shobj_description(d.oid, 'pg_database'), datconnlimit, datacl::text, s.setconfig::text)
           FROM pg_database d LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0
          WHERE datname = 'empty_props'`,
      ),
    ).toBe(`from the backup | 7 | {${server.user}=Cc/${server.user}} | {work_mem=4MB}`);
    expect(await schemaOf(server, 'empty_props')).toBe(await schemaOf(server, 'tricky'));
  });

  it("creates the database with the server's locale, with a warning, when the backup's does not exist here", async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => warnings.push(message) };
    const source = makeSource(server, dir, { database: 'tricky' }, logger);
    const databaseProperties = {
      owner: server.user,
      acl: null,
      comment: null,
      connectionLimit: -1,
      settings: [],
      roleSettings: [],
      locale: {
        encoding: 'UTF8',
        collate: 'xx_XX.nowhere',
        ctype: 'xx_XX.nowhere',
        provider: 'c',
        icuLocale: null,
      },
    };
    await source.restore(
      createReadStream(file),
      { database: 'nowhere_locale', createDatabase: true },
      { format: 'pg-custom', details: { databaseProperties } },
    );
    expect(warnings.join('\n')).toMatch(
      /the backup's encoding UTF8 and locale xx_XX.nowhere cannot be used on this server .*: the database is created with the server's defaults/,
    );
    expect(
      await server.sql('postgres', "SELECT datcollate FROM pg_database WHERE datname = 'nowhere_locale'"),
    ).toBe('C.UTF-8');
  });

  it('checkRestoreTarget applies the same rules before anything is fetched, and changes nothing', async () => {
    await server.createDatabase('check_occupied');
    await server.sql('check_occupied', 'CREATE TABLE keep_me (x int);');
    const source = makeSource(server, dir, { database: 'tricky' });
    const check = (target: RestoreTarget) => {
      if (source.checkRestoreTarget === undefined) throw new Error('no checkRestoreTarget');
      return source.checkRestoreTarget(target);
    };
    expect((await rejectionOf(check({ database: 'tricky' }))).message).toMatch(
      /the very database this job backs up/,
    );
    expect((await rejectionOf(check({ database: 'check_occupied' }))).message).toMatch(
      /already exists and is not empty/,
    );
    expect((await rejectionOf(check({ database: 'check_missing' }))).message).toMatch(
      /does not exist: create it first/,
    );
    await check({ database: 'check_occupied', force: true });
    await check({ database: 'check_missing', createDatabase: true });
    const left = await server.sql(
      'postgres',
      "SELECT count(*) FROM pg_database WHERE datname = 'check_missing'",
    );
    expect(left.trim()).toBe('0');
    expect((await server.sql('check_occupied', 'SELECT count(*) FROM keep_me')).trim()).toBe('0');
  });

  it('refuses a non-empty database without force and replaces it with force', async () => {
    await server.createDatabase('occupied');
    await server.sql('occupied', 'CREATE TABLE keep_me (x int); INSERT INTO keep_me VALUES (1);');
    const source = makeSource(server, dir, { database: 'tricky' });
    const error = await rejectionOf(
      source.restore(createReadStream(file), { database: 'occupied' }, { format: 'pg-custom' }),
    );
    expect(error.message).toMatch(/database "occupied" already exists and is not empty.*force/);
    await source.restore(
      createReadStream(file),
      { database: 'occupied', force: true },
      { format: 'pg-custom' },
    );
    expect(await contentOf(server, 'occupied')).toEqual(await contentOf(server, 'tricky'));
  });

  it('restores into an existing empty database, and needs createDatabase for a missing one', async () => {
    await server.createDatabase('empty_target');
    const source = makeSource(server, dir, { database: 'tricky' });
    await source.restore(createReadStream(file), { database: 'empty_target' }, { format: 'pg-custom' });
    expect(await contentOf(server, 'empty_target')).toEqual(await contentOf(server, 'tricky'));
    const error = await rejectionOf(
      source.restore(createReadStream(file), { database: 'nowhere' }, { format: 'pg-custom' }),
    );
    expect(error.message).toMatch(/database "nowhere" does not exist.*createDatabase/);
  });

  it('fails a restore of a truncated dump and drops the database it created', async () => {
    const { size } = await stat(file);
    const source = makeSource(server, dir, { database: 'tricky' });
    const truncated = createReadStream(file, { start: 0, end: Math.floor(size / 2) });
    const error = await rejectionOf(
      source.restore(truncated, { database: 'half', createDatabase: true }, { format: 'pg-custom' }),
    );
    expect(error).toBeInstanceOf(SourceError);
    expect(error.message).toMatch(/pg_restore .*restoring into "half"/);
    expect(await databases(server)).not.toContain('half');
  });

  it('fails a plain restore on the first SQL error (ON_ERROR_STOP)', async () => {
    const bad = join(dir, 'bad.sql');
    await writeFile(bad, 'CREATE TABLE ok (x int);\nTHIS IS NOT SQL;\nCREATE TABLE later (x int);\n');
    const source = makeSource(server, dir, { database: 'tricky', format: 'plain' });
    const error = await rejectionOf(
      source.restore(
        createReadStream(bad),
        { database: 'bad_plain', createDatabase: true },
        { format: 'pg-plain' },
      ),
    );
    expect(error.message).toMatch(/psql failed .*syntax error/);
    expect(await databases(server)).not.toContain('bad_plain');
  });

  it('drops the scratch database when a restore test fails', async () => {
    const garbage = join(dir, 'garbage.pgdump');
    await writeFile(garbage, `PGDMP${'x'.repeat(5000)}`);
    const source = makeSource(server, dir, { database: 'tricky' });
    const error = await rejectionOf(source.restoreTest(createReadStream(garbage), { format: 'pg-custom' }));
    expect(error).toBeInstanceOf(SourceError);
    expect((await databases(server)).filter((name) => name.startsWith(RESTORE_TEST_PREFIX))).toEqual([]);
  });
});

describe('postgres source: failures name what to fix', () => {
  it('wrong password', async () => {
    const wrong = 'Wr0ng-Secret-Value';
    const source = makeSource(server, dir, { database: 'tricky', password: wrong });
    const error = await rejectionOf(source.dump());
    expect(TricopyError.hasCode(error, 'SOURCE')).toBe(true);
    expect(error.message).toMatch(
      /^source "app": .*rejected the password of user "postgres" \(check password/,
    );
    expect(`${error.message}\n${error.details ?? ''}`).not.toContain(wrong);
    expect((await rejectionOf(source.check())).message).toMatch(/rejected the password/);
  });

  it('passwordFile: read relative to the config folder; a missing file is named', async () => {
    await writeFile(join(dir, 'pg.pass'), `${server.password}\n`, { mode: 0o600 });
    const status = await makeSource(server, dir, {
      database: 'tricky',
      password: undefined,
      passwordFile: 'pg.pass',
    }).check();
    expect(status.engine).toBe('postgresql');
    const error = await rejectionOf(
      makeSource(server, dir, {
        database: 'tricky',
        password: undefined,
        passwordFile: 'missing.pass',
      }).check(),
    );
    expect(error.message).toBe(
      `source "app": cannot read passwordFile ${join(dir, 'missing.pass')}: ENOENT (check the path and its permissions)`,
    );
  });

  it('check() refuses a role that could connect but not dump, naming what it cannot read', async () => {
    await server.createDatabase('locked');
    await server.sql(
      'locked',
      `CREATE ROLE tricopy_limited LOGIN PASSWORD 'limited-pw';
       CREATE TABLE public.open (x int); GRANT SELECT ON public.open TO tricopy_limited;
       CREATE TABLE public.secret (x int);
       SELECT lo_from_bytea(0, 'not yours');`,
    );
    const as = (overrides: Record<string, unknown>) =>
      makeSource(server, dir, {
        database: 'locked',
        user: 'tricopy_limited',
        password: 'limited-pw',
        ...overrides,
      });
    const error = await rejectionOf(as({}).check());
    expect(error.message).toMatch(
      /^source "app": user "tricopy_limited" cannot read everything pg_dump would dump: table public\.secret, large object \d+ \(grant SELECT/,
    );
    const onlyLargeObject = await rejectionOf(as({ excludeTables: ['secret'] }).check());
    expect(onlyLargeObject.message).toMatch(/would dump: large object \d+ \(/);
    await server.sql('locked', 'GRANT SELECT ON public.secret TO tricopy_limited');
    await expect(as({ schemas: ['public'] }).check()).resolves.toMatchObject({ engine: 'postgresql' });
  });

  it('connection refused', async () => {
    const port = await freePort();
    const error = await rejectionOf(makeSource(server, dir, { database: 'tricky', port }).dump());
    expect(error.message).toBe(
      `source "app": cannot connect to PostgreSQL at 127.0.0.1:${port}: connection refused (is the server running? check host and port)`,
    );
  });

  it('unknown database', async () => {
    const error = await rejectionOf(makeSource(server, dir, { database: 'no_such_db' }).check());
    expect(error.message).toMatch(
      /database "no_such_db" does not exist on 127\.0\.0\.1:\d+ \(check the database option\)/,
    );
  });

  it('sslmode require against a server without TLS', async () => {
    const error = await rejectionOf(
      makeSource(server, dir, { database: 'tricky', sslmode: 'require' }).check(),
    );
    expect(error.message).toMatch(
      /PostgreSQL at 127\.0\.0\.1:\d+ does not accept TLS \(set sslmode to prefer or disable\)/,
    );
  });

  it('missing pg_dump binary', async () => {
    const error = await rejectionOf(
      makeSource(server, dir, { database: 'tricky', pgDumpPath: '/nonexistent/pg_dump' }).dump(),
    );
    expect(error.message).toMatch(
      /pg_dump not found at \/nonexistent\/pg_dump \(pgDumpPath\).*install the PostgreSQL client/,
    );
  });

  it('pg_dump older than the server', async () => {
    const fake = join(dir, 'old_pg_dump');
    await writeFile(fake, '#!/bin/sh\necho "pg_dump (PostgreSQL) 12.22"\n');
    await chmod(fake, 0o755);
    const source = makeSource(server, dir, { database: 'tricky', pgDumpPath: fake });
    const error = await rejectionOf(source.dump());
    expect(error.message).toMatch(
      /pg_dump 12\.22 \(.*old_pg_dump\) is older than the server \(PostgreSQL 15\.\d+\) and cannot dump it: install the PostgreSQL 15 client tools or newer/,
    );
    expect((await rejectionOf(source.check())).message).toMatch(/is older than the server/);
  });

  it('reports versions in check()', async () => {
    const status = await makeSource(server, dir, { database: 'tricky' }).check();
    expect(status.engine).toBe('postgresql');
    expect(status.notes?.[0]).toMatch(/^pg_dump 15\.\d+ can dump server 15\.\d+$/);
  });

  it('keeps the password out of pg_dump argv, and the completion rejects when pg_dump is killed', async () => {
    const source = makeSource(server, dir, { database: 'noisy' });
    const dump = await source.dump();
    // Nobody reads the stream yet, so pg_dump blocks on a full pipe and stays alive while we look at it.
    const pid = await waitForProcess('pg_dump', (arg) => arg.includes("dbname='noisy'"));
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    expect(cmdline).toContain('--snapshot=');
    expect(cmdline).not.toContain(server.password);
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
    expect(environ).not.toContain(server.password);
    const passFile = /PGPASSFILE=([^\0]+)/.exec(environ)?.[1];
    expect(passFile).toBeDefined();
    expect((await stat(passFile!)).mode & 0o777).toBe(0o600);

    process.kill(pid, 'SIGKILL');
    dump.stream.resume();
    const error = await rejectionOf(dump.completion);
    expect(error).toBeInstanceOf(SourceError);
    expect(error.message).toMatch(/pg_dump was killed by SIGKILL; the dump is incomplete/);
    expect(`${error.message}${error.details ?? ''}`).not.toContain(server.password);
    expect((await readdir(dir)).filter((name) => name.startsWith('.pgpass'))).toEqual([]);
  });

  it('rejects the completion with pg_dump stderr when pg_dump fails', async () => {
    // Locking a table exclusively makes pg_dump fail quickly with lock_timeout... simpler: a dump tool that fails.
    const fake = join(dir, 'failing_pg_dump');
    await writeFile(
      fake,
      `#!/bin/sh\ncase "$1" in --version) echo "pg_dump (PostgreSQL) 15.99";; *) echo "pg_dump: error: something broke" >&2; exit 1;; esac\n`,
    );
    await chmod(fake, 0o755);
    const dump = await makeSource(server, dir, { database: 'tricky', pgDumpPath: fake }).dump();
    dump.stream.resume();
    const error = await rejectionOf(dump.completion);
    expect(error.message).toBe('source "app": pg_dump failed (exit code 1): pg_dump: error: something broke');
    expect(error.details).toContain('something broke');
  });

  it('rejects a dump that is too short to be complete', async () => {
    const fake = join(dir, 'short_pg_dump');
    await writeFile(
      fake,
      `#!/bin/sh\ncase "$1" in --version) echo "pg_dump (PostgreSQL) 15.99";; *) printf PGDMP;; esac\n`,
    );
    await chmod(fake, 0o755);
    const dump = await makeSource(server, dir, { database: 'tricky', pgDumpPath: fake }).dump();
    dump.stream.resume();
    expect((await rejectionOf(dump.completion)).message).toMatch(/produced only 5 bytes/);
  });
});

describe('postgres source: schema filter with plain format', () => {
  it('restores a plain dump limited to schema public', async () => {
    const source = makeSource(server, dir, { database: 'tricky', format: 'plain', schemas: ['public'] });
    const dump = await source.dump();
    const file = join(dir, 'public-only.sql');
    const info = await dumpToFile(dump, file);
    expect(await source.restoreTest(createReadStream(file), { format: dump.format })).toEqual(info.tables);
  });
});

describe('postgres source: cancellation', () => {
  it('an aborted dump stops pg_dump and rejects the completion', async () => {
    const controller = new AbortController();
    const dump = await makeSource(server, dir, { database: 'noisy' }).dump({ signal: controller.signal });
    const pid = await waitForProcess('pg_dump', (arg) => arg.includes("dbname='noisy'"));
    controller.abort();
    dump.stream.resume();
    const error = await rejectionOf(dump.completion);
    expect(error).toBeInstanceOf(SourceError);
    expect(error.message).toMatch(/pg_dump was cancelled; the dump is incomplete/);
    expect(await findProcesses('pg_dump', (arg) => arg.includes("dbname='noisy'"))).not.toContain(pid);
  });
});

describe("postgres source: the engine's zstd offer (the default)", () => {
  const zstd = { codec: 'zstd', level: 3 } as const;

  it('dumps -Z0 and leaves compression to the engine, which proves every byte: the dump restores as it is', async () => {
    const source = makeSource(server, dir, { database: 'chinook' });
    const dump = await source.dump({ compression: zstd });
    expect(dump.compression).toBeUndefined();
    expect(dump.compressed).toBe(false);
    expect(dump.extension).toBe('pgdump');
    const file = join(dir, 'chinook-raw.pgdump');
    const info = await dumpToFile(dump, file);
    expect(info.details?.bytes).toBe((await stat(file)).size);
    expect((await readFile(file)).subarray(0, 5).toString('latin1')).toBe('PGDMP');
    await source.restore(
      createReadStream(file),
      { database: 'chinook_raw', createDatabase: true },
      { format: dump.format },
    );
    expect(await contentOf(server, 'chinook_raw')).toEqual(await contentOf(server, 'chinook'));
  });

  it("reports pg_dump failing midway with pg_dump's stderr", async () => {
    const fake = join(dir, 'midway_pg_dump');
    await writeFile(
      fake,
      `#!/bin/sh\ncase "$1" in --version) echo "pg_dump (PostgreSQL) 15.99";; *) head -c 300000 /dev/urandom; echo "pg_dump: error: connection lost midway" >&2; exit 1;; esac\n`,
    );
    await chmod(fake, 0o755);
    const dump = await makeSource(server, dir, { database: 'tricky', pgDumpPath: fake }).dump({
      compression: zstd,
    });
    dump.stream.resume();
    const error = await rejectionOf(dump.completion);
    expect(error).toBeInstanceOf(SourceError);
    expect(error.message).toBe(
      'source "app": pg_dump failed (exit code 1): pg_dump: error: connection lost midway',
    );
    expect(error.details).toContain('connection lost midway');
  });

  it('an aborted dump stops pg_dump', async () => {
    const controller = new AbortController();
    const dump = await makeSource(server, dir, { database: 'noisy' }).dump({
      signal: controller.signal,
      compression: zstd,
    });
    const pid = await waitForProcess('pg_dump', (arg) => arg.includes("dbname='noisy'"));
    expect(await readFile(`/proc/${pid}/cmdline`, 'utf8')).toContain('--compress=0');
    controller.abort();
    dump.stream.resume();
    expect((await rejectionOf(dump.completion)).message).toMatch(/pg_dump was cancelled/);
  });

  it("keeps pg_dump's own compression when compressLevel is set", async () => {
    const dump = await makeSource(server, dir, { database: 'tricky', compressLevel: 6 }).dump({
      compression: zstd,
    });
    expect(dump.compression).toBeUndefined();
    expect(dump.compressed).toBe(true);
    dump.stream.resume();
    await dump.completion;
  });
});

describe('postgres source: a role that may not read one table', () => {
  beforeAll(async () => {
    await server.sql('postgres', "CREATE ROLE tricopy_blocked LOGIN PASSWORD 'blocked-pw'");
  });

  it.each([
    ['with', 'forbidden_offered', { compression: { codec: 'zstd', level: 3 } as const }],
    ['without', 'forbidden_plain', {}],
  ])(
    "the dump %s the engine's offer fails with pg_dump's own error, not a signal",
    async (_, database, offer) => {
      await server.createDatabase(database);
      await server.sql(
        database,
        `CREATE TABLE public.open (x int); GRANT SELECT ON public.open TO tricopy_blocked;
       INSERT INTO public.open SELECT generate_series(1, 1000);
       CREATE TABLE public.secret (x int);`,
      );
      const source = makeSource(server, dir, { database, user: 'tricopy_blocked', password: 'blocked-pw' });
      const dump = await source.dump(offer);
      dump.stream.resume();
      const error = await rejectionOf(dump.completion);
      expect(error.message).toMatch(
        /^source "app": pg_dump failed \(exit code 1\): .*permission denied for table secret/,
      );
      expect(error.message).not.toMatch(/SIGTERM|killed|zstd/);
      expect(error.details).toContain('permission denied for table secret');
    },
  );
});

describe('postgres source: sweep', () => {
  const clientOf = (database: string) =>
    new pg.Client({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database,
    });

  scratchSweepCases(() => ({
    ...underTest(server, dir),
    prefix: RESTORE_TEST_PREFIX,
    jobDatabase: 'postgres',
    connectTo: async (database) => {
      const holder = clientOf(database);
      await holder.connect();
      return () => holder.end();
    },
    /** A killed restore test leaves one scratch database (the whole dump restores into it). */
    leftByKilledRun: async (created) => {
      const name = scratchDatabaseName(created);
      const maintenance = clientOf('postgres');
      await maintenance.connect();
      await createScratchDatabase(maintenance, name);
      await maintenance.end();
      return [name];
    },
    /** A user's own restore under a restore-test name, one named by an older tricopy, one with a forged comment. */
    notFromRestoreTests: async (hourAgo) => {
      const [restored, legacy, forged] = [
        scratchDatabaseName(hourAgo),
        `${RESTORE_TEST_PREFIX}0123456789abcdef`,
        scratchDatabaseName(hourAgo),
      ];
      for (const name of [restored, legacy, forged]) await server.createDatabase(name);
      await server.sql(restored, 'CREATE TABLE precious (id int); INSERT INTO precious VALUES (1)');
      await server.sql('postgres', `COMMENT ON DATABASE "${forged}" IS 'created by a tricopy restore test'`);
      return [restored, legacy, forged];
    },
  }));
});
