import { createReadStream } from 'node:fs';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RestoreTarget, SourceError, TricopyError } from '@tricopy/contract';
import { scratchDatabaseName } from '@tricopy/plugin-support';
import {
  findProcesses,
  freePort,
  type MariadbServer,
  makeTempDir,
  startMariadb,
  waitForProcess,
} from '@tricopy/test-servers';
import { dumpToFile, ownDatabaseRestoreCase, rejectionOf, scratchSweepCases } from '@tricopy/testkit';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESTORE_TEST_PREFIX } from '../src/index.js';
import { createScratchMarker, scratchDataName } from '../src/scratch.js';
import { NOISE_TABLE, TRICKY_SCHEMA } from './fixtures.js';
import { contentOf, databases, makeSource, schemaOf, underTest } from './helpers.js';

const CHINOOK = fileURLToPath(
  new URL('../../../../shared/fixtures/chinook/Chinook_MySql.sql', import.meta.url),
);

let server: MariadbServer;
let dir: string;
let removeDir: () => Promise<void>;

beforeAll(async () => {
  server = await startMariadb();
  const temp = await makeTempDir('mysql-plugin-test');
  dir = temp.path;
  removeDir = temp.remove;
  await server.sql(await readFile(CHINOOK, 'utf8'));
  await server.sql('CREATE DATABASE tricky CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
  await server.sql(TRICKY_SCHEMA, 'tricky');
  await server.sql('CREATE DATABASE noisy');
  await server.sql(NOISE_TABLE, 'noisy');
});

afterAll(async () => {
  await server?.stop();
  await removeDir?.();
});

async function roundTrip(database: string, copy: string) {
  const source = makeSource(server, dir, { database });
  const dump = await source.dump();
  expect(dump.format).toBe('mysql-sql');
  expect(dump.extension).toBe('sql');
  const file = join(dir, `${copy}.sql`);
  const info = await dumpToFile(dump, file);
  await source.restore(
    createReadStream(file),
    { database: copy, createDatabase: true },
    { format: dump.format },
  );
  return { source, dump, info, file };
}

const scratchLeft = async () =>
  (await databases(server)).filter((name) => name.startsWith(RESTORE_TEST_PREFIX));

describe('mysql source: round trips', () => {
  it('dumps Chinook with exact counts and restores it identically', async () => {
    const { info, source, file, dump } = await roundTrip('Chinook', 'chinook_copy');
    const stored = await server.sql(
      "SELECT SUM(DATA_LENGTH + INDEX_LENGTH) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'Chinook'",
    );
    expect(dump.sizeHint).toBe(Number(stored));
    expect(dump.sizeHint).toBeGreaterThan(0);
    expect(info.engine).toBe('mariadb');
    expect(info.engineVersion).toMatch(/^10\.11\./);
    expect(info.toolVersion).toMatch(/^mariadb-dump 10\.11\./);
    expect(info.tables?.find((table) => table.name === 'Track')).toEqual({
      name: 'Track',
      rows: 3503,
      exact: true,
    });
    expect(info.tables).toHaveLength(11);
    expect(await schemaOf(server, 'chinook_copy')).toEqual(await schemaOf(server, 'Chinook'));
    expect(await contentOf(server, 'chinook_copy')).toEqual(await contentOf(server, 'Chinook'));
    expect(await source.restoreTest(createReadStream(file), { format: dump.format })).toEqual(info.tables);
    expect(await scratchLeft()).toEqual([]);
  });

  it('round-trips the tricky schema: identifiers, binary, large text, routines, triggers, events, views', async () => {
    const { info, source, file, dump } = await roundTrip('tricky', 'tricky_copy');
    expect(Object.fromEntries((info.tables ?? []).map((table) => [table.name, table.rows]))).toEqual({
      'Mixed Case `Täble` ✓': 41,
      child: 500,
      empty_one: 0,
      parent: 50,
      数据: 5,
    });
    expect(await schemaOf(server, 'tricky_copy')).toEqual(await schemaOf(server, 'tricky'));
    expect(await contentOf(server, 'tricky_copy')).toEqual(await contentOf(server, 'tricky'));
    // AUTO_INCREMENT continues where the original would (InnoDB reserves ids in batches, so not max(id) + 1).
    const next = await server.sql(
      "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'tricky' AND TABLE_NAME = 'parent'",
    );
    const id = await server.sql(
      "INSERT INTO parent (name) VALUES ('new'); SELECT LAST_INSERT_ID();",
      'tricky_copy',
    );
    expect(id).toBe(next);
    expect(
      await server.sql(
        `INSERT INTO child (parent_id, note) VALUES (${id}, 'x'); SELECT note FROM child WHERE parent_id = ${id};`,
        'tricky_copy',
      ),
    ).toBe('x!');
    expect(
      await server.sql("SELECT children FROM parent_summary WHERE name = 'parent 1'", 'tricky_copy'),
    ).toBe('10');
    expect(await server.sql('SELECT double_it(21); CALL count_parents(@n); SELECT @n;', 'tricky_copy')).toBe(
      '42\n51',
    );
    expect(await source.restoreTest(createReadStream(file), { format: dump.format })).toEqual(info.tables);
  });

  it('dumps several databases into one artifact and restore-tests it under scratch names', async () => {
    const source = makeSource(server, dir, { databases: ['Chinook', 'tricky'] });
    const dump = await source.dump();
    expect(dump.format).toBe('mysql-sql-databases');
    const file = join(dir, 'multi.sql');
    const info = await dumpToFile(dump, file);
    expect(info.tables?.find((table) => table.name === 'Chinook.Track')?.rows).toBe(3503);
    expect(info.tables?.find((table) => table.name === 'tricky.child')?.rows).toBe(500);
    expect(await source.restoreTest(createReadStream(file), { format: dump.format })).toEqual(info.tables);
    expect(await scratchLeft()).toEqual([]);
    const error = await rejectionOf(
      source.restore(createReadStream(file), { database: 'x' }, { format: dump.format }),
    );
    expect(error.message).toMatch(
      /restores under their original names \(Chinook, tricky\): leave the target database empty/,
    );
    const overSource = await rejectionOf(source.restore(createReadStream(file), {}, { format: dump.format }));
    expect(overSource.message).toMatch(/refusing to restore over database "Chinook"/);
  });

  it('ignores my.cnf and MYSQL_* variables of the user running it', async () => {
    const home = join(dir, 'home');
    await mkdir(home, { recursive: true });
    await writeFile(
      join(home, '.my.cnf'),
      '[client]\nuser=nobody\npassword=bad\n[mysqldump]\nno-data\n[mariadb-dump]\nno-data\n',
    );
    const saved = {
      HOME: process.env.HOME,
      MYSQL_HOST: process.env.MYSQL_HOST,
      MYSQL_TCP_PORT: process.env.MYSQL_TCP_PORT,
    };
    Object.assign(process.env, { HOME: home, MYSQL_HOST: '192.0.2.1', MYSQL_TCP_PORT: '1' });
    try {
      const info = await dumpToFile(
        await makeSource(server, dir, { database: 'tricky' }).dump(),
        join(dir, 'isolated.sql'),
      );
      expect(info.tables?.find((table) => table.name === 'child')?.rows).toBe(500);
      expect(await readFile(join(dir, 'isolated.sql'), 'utf8')).toContain('INSERT INTO `child`');
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});

describe('mysql source: definers', () => {
  const weird = `p"a's\\w#rd ;x=[client]`;
  let file: string;
  beforeAll(async () => {
    const escaped = weird.replaceAll('\\', '\\\\').replaceAll("'", "\\'");
    await server.sql(
      `CREATE USER 'limited'@'127.0.0.1' IDENTIFIED BY '${escaped}';
       GRANT ALL PRIVILEGES ON \`limited\\_%\`.* TO 'limited'@'127.0.0.1';`,
    );
    file = join(dir, 'definers.sql');
    await dumpToFile(await makeSource(server, dir, { database: 'tricky' }).dump(), file);
  });

  it('keep: a user without SUPER cannot restore root-defined views and routines', async () => {
    const source = makeSource(server, dir, { database: 'tricky', user: 'limited', password: weird });
    const error = await rejectionOf(
      source.restore(
        createReadStream(file),
        { database: 'limited_keep', createDatabase: true },
        { format: 'mysql-sql' },
      ),
    );
    expect(error).toBeInstanceOf(SourceError);
    expect(error.message).toMatch(/restoring into "limited_keep": ERROR .*(SUPER|SET USER|denied)/);
    expect(`${error.message}${error.details}`).not.toContain(weird);
    expect(await databases(server)).not.toContain('limited_keep');
  });

  it('strip: the same user restores everything, definer becomes itself', async () => {
    const source = makeSource(server, dir, {
      database: 'tricky',
      user: 'limited',
      password: weird,
      definers: 'strip',
    });
    await source.restore(
      createReadStream(file),
      { database: 'limited_strip', createDatabase: true },
      { format: 'mysql-sql' },
    );
    expect(await contentOf(server, 'limited_strip')).toEqual(await contentOf(server, 'tricky'));
    expect(
      await server.sql("SELECT DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'limited_strip'"),
    ).toBe('limited@127.0.0.1');
  });
});

describe('mysql source: restore rules', () => {
  let file: string;
  beforeAll(async () => {
    file = join(dir, 'rules.sql');
    await dumpToFile(await makeSource(server, dir, { database: 'tricky' }).dump(), file);
  });

  it('refuses to restore over the database it backs up unless forced', async () => {
    const error = await rejectionOf(
      makeSource(server, dir, { database: 'tricky' }).restore(
        createReadStream(file),
        { database: 'tricky' },
        { format: 'mysql-sql' },
      ),
    );
    expect(error.message).toMatch(
      /refusing to restore over database "tricky", the very database this job backs up.*force/,
    );
  });

  ownDatabaseRestoreCase(() => ({
    ...underTest(server, dir),
    file,
    format: 'mysql-sql',
    reference: 'tricky',
  }));

  it('checkRestoreTarget applies the same rules before anything is fetched, and changes nothing', async () => {
    await server.sql('CREATE DATABASE check_occupied; CREATE TABLE check_occupied.keep_me (x INT);');
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
      "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'check_missing';",
    );
    expect(left.trim()).toMatch(/(^|\n)0$/);
    expect(await server.sql('SELECT COUNT(*) FROM check_occupied.keep_me;')).toMatch(/(^|\n)0\s*$/);
  });

  it('refuses a non-empty database without force and replaces it with force', async () => {
    await server.sql(
      'CREATE DATABASE occupied; CREATE TABLE occupied.keep_me (x INT); INSERT INTO occupied.keep_me VALUES (1);',
    );
    const source = makeSource(server, dir, { database: 'tricky' });
    const error = await rejectionOf(
      source.restore(createReadStream(file), { database: 'occupied' }, { format: 'mysql-sql' }),
    );
    expect(error.message).toMatch(/database "occupied" already exists and is not empty.*force/);
    await source.restore(
      createReadStream(file),
      { database: 'occupied', force: true },
      { format: 'mysql-sql' },
    );
    expect(await contentOf(server, 'occupied')).toEqual(await contentOf(server, 'tricky'));
  });

  it('needs createDatabase for a missing database', async () => {
    const error = await rejectionOf(
      makeSource(server, dir, { database: 'tricky' }).restore(
        createReadStream(file),
        { database: 'nowhere' },
        { format: 'mysql-sql' },
      ),
    );
    expect(error.message).toMatch(/database "nowhere" does not exist.*createDatabase/);
  });

  it('fails a restore of a truncated dump and drops the database it created', async () => {
    const { size } = await stat(file);
    const truncated = createReadStream(file, { start: 0, end: Math.floor(size * 0.6) });
    const error = await rejectionOf(
      makeSource(server, dir, { database: 'tricky' }).restore(
        truncated,
        { database: 'half', createDatabase: true },
        { format: 'mysql-sql' },
      ),
    );
    expect(error).toBeInstanceOf(SourceError);
    expect(error.message).toMatch(/restoring into "half": ERROR/);
    expect(await databases(server)).not.toContain('half');
  });

  it('drops the scratch database when a restore test fails', async () => {
    const garbage = join(dir, 'garbage.sql');
    await writeFile(garbage, 'CREATE TABLE t (x INT);\nTHIS IS NOT SQL;\n');
    const error = await rejectionOf(
      makeSource(server, dir, { database: 'tricky' }).restoreTest(createReadStream(garbage), {
        format: 'mysql-sql',
      }),
    );
    expect(error).toBeInstanceOf(SourceError);
    expect(await scratchLeft()).toEqual([]);
  });
});

describe('mysql source: failures name what to fix', () => {
  it('wrong password', async () => {
    const wrong = 'Wr0ng-Secret-Value';
    const source = makeSource(server, dir, { database: 'tricky', password: wrong });
    const error = await rejectionOf(source.dump());
    expect(TricopyError.hasCode(error, 'SOURCE')).toBe(true);
    expect(error.message).toMatch(
      /^source "app": MySQL\/MariaDB at 127\.0\.0\.1:\d+ denied access to user "tricopy" \(check user, password/,
    );
    expect(`${error.message}\n${error.details ?? ''}`).not.toContain(wrong);
  });

  it('passwordFile: read relative to the config folder; a missing file is named', async () => {
    await writeFile(join(dir, 'my.pass'), `${server.password}\n`, { mode: 0o600 });
    const status = await makeSource(server, dir, {
      database: 'tricky',
      password: undefined,
      passwordFile: 'my.pass',
    }).check();
    expect(status.engine).toBe('mariadb');
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

  it('connection refused', async () => {
    const port = await freePort();
    const error = await rejectionOf(makeSource(server, dir, { database: 'tricky', port }).check());
    expect(error.message).toBe(
      `source "app": cannot connect to MySQL/MariaDB at 127.0.0.1:${port}: connection refused (is the server running? check host and port)`,
    );
  });

  it('unknown database', async () => {
    const error = await rejectionOf(makeSource(server, dir, { database: 'no_such_db' }).dump());
    expect(error.message).toMatch(
      /database "no_such_db" does not exist on 127\.0\.0\.1:\d+ \(check the database option\)/,
    );
    const several = await rejectionOf(makeSource(server, dir, { databases: ['tricky', 'gone'] }).dump());
    expect(several.message).toMatch(/database "gone" does not exist/);
  });

  it('missing dump binary', async () => {
    const error = await rejectionOf(
      makeSource(server, dir, { database: 'tricky', dumpBinary: '/nonexistent/mariadb-dump' }).dump(),
    );
    expect(error.message).toMatch(
      /dumpBinary \/nonexistent\/mariadb-dump not found or not executable \(install the MariaDB\/MySQL client/,
    );
  });

  it('reports versions in check()', async () => {
    const status = await makeSource(server, dir, { database: 'tricky' }).check();
    expect(status.engine).toBe('mariadb');
    expect(status.engineVersion).toBe(server.version);
  });

  it('keeps the password out of the dump argv and environment; the completion rejects when the dump is killed', async () => {
    const dump = await makeSource(server, dir, { database: 'noisy' }).dump();
    const pid = await waitForProcess('mariadb-dump', (arg) => arg === 'noisy');
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    expect(argv.join(' ')).not.toContain(server.password);
    expect(argv.some((arg) => /^-p|^--password/.test(arg))).toBe(false);
    expect(await readFile(`/proc/${pid}/environ`, 'utf8')).not.toContain(server.password);
    const optionsFile = argv
      .find((arg) => arg.startsWith('--defaults-file='))
      ?.slice('--defaults-file='.length);
    expect(optionsFile).toBeDefined();
    expect((await stat(optionsFile!)).mode & 0o777).toBe(0o600);

    process.kill(pid, 'SIGKILL');
    dump.stream.resume();
    const error = await rejectionOf(dump.completion);
    expect(error.message).toMatch(/mariadb-dump was killed by SIGKILL; the dump is incomplete/);
    expect(`${error.message}${error.details ?? ''}`).not.toContain(server.password);
    expect((await readdir(dir)).filter((name) => name.startsWith('.my-'))).toEqual([]);
  });

  it('rejects the completion with the tool stderr when the dump fails', async () => {
    const fake = join(dir, 'failing-dump');
    await writeFile(
      fake,
      '#!/bin/sh\ncase "$*" in *--version*) echo "mariadb-dump  Ver 10.19 Distrib 10.11.99-MariaDB";; *) echo "mariadb-dump: Got error: 1044: Access denied" >&2; exit 2;; esac\n',
    );
    await chmod(fake, 0o755);
    const dump = await makeSource(server, dir, { database: 'tricky', dumpBinary: fake }).dump();
    dump.stream.resume();
    const error = await rejectionOf(dump.completion);
    expect(error.message).toBe(
      'source "app": mariadb-dump failed (exit code 2): mariadb-dump: Got error: 1044: Access denied',
    );
  });

  it('rejects a dump without its completion trailer', async () => {
    const fake = join(dir, 'truncating-dump');
    await writeFile(
      fake,
      `#!/bin/sh\ncase "$*" in *--version*) echo "mariadb-dump  Ver 10.19 Distrib 10.11.99-MariaDB";; *) head -c 5000 /dev/zero | tr '\\\\0' x;; esac\n`,
    );
    await chmod(fake, 0o755);
    const dump = await makeSource(server, dir, { database: 'tricky', dumpBinary: fake }).dump();
    dump.stream.resume();
    expect((await rejectionOf(dump.completion)).message).toMatch(
      /lacks its final "-- Dump completed" line: the dump is truncated/,
    );
  });
});

describe('mysql source: cancellation', () => {
  it('an aborted dump stops the dump tool and rejects the completion', async () => {
    const controller = new AbortController();
    const dump = await makeSource(server, dir, { database: 'noisy' }).dump({ signal: controller.signal });
    const pid = await waitForProcess('mariadb-dump', (arg) => arg === 'noisy');
    controller.abort();
    dump.stream.resume();
    const error = await rejectionOf(dump.completion);
    expect(error).toBeInstanceOf(SourceError);
    expect(error.message).toMatch(/mariadb-dump was cancelled; the dump is incomplete/);
    expect(await findProcesses('mariadb-dump', (arg) => arg === 'noisy')).not.toContain(pid);
  });
});

describe('mysql source: sweep', () => {
  const connectTo = (database?: string) =>
    mysql.createConnection({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      ...(database === undefined ? {} : { database }),
    });

  scratchSweepCases(() => ({
    ...underTest(server, dir),
    prefix: RESTORE_TEST_PREFIX,
    jobDatabase: 'tricky',
    connectTo: async (database) => {
      const holder = await connectTo(database);
      return () => holder.end();
    },
    /** A killed restore test leaves its marker and its scratch databases. */
    leftByKilledRun: async (created, parts) => {
      const run = scratchDatabaseName(created);
      const connection = await connectTo();
      try {
        await createScratchMarker(connection, run);
        const names = Array.from({ length: parts }, (_, index) => scratchDataName(run, index));
        for (const name of names) await connection.query(`CREATE DATABASE \`${name}\``);
        return [...names, run];
      } finally {
        await connection.end();
      }
    },
    /** A user's own restore under a restore-test name (one with data, one part), and one named by an older tricopy. */
    notFromRestoreTests: async (hourAgo) => {
      const restored = scratchDatabaseName(hourAgo);
      const names = [
        restored,
        scratchDataName(scratchDatabaseName(hourAgo), 0),
        `${RESTORE_TEST_PREFIX}0123456789ab`,
      ];
      await server.sql(names.map((name) => `CREATE DATABASE \`${name}\`;`).join('\n'));
      await server.sql(
        `CREATE TABLE \`${restored}\`.precious (id INT); INSERT INTO \`${restored}\`.precious VALUES (1);`,
      );
      return names;
    },
  }));
});

describe('mysql source: a user that may not read everything', () => {
  it("the dump fails with mariadb-dump's own error, not a signal", async () => {
    await server.sql(
      `CREATE DATABASE forbidden;
       CREATE TABLE forbidden.open (x int); INSERT INTO forbidden.open VALUES (1), (2);
       CREATE TABLE forbidden.secret (x int);
       CREATE USER 'tricopy_blocked'@'%' IDENTIFIED BY 'blocked-pw';
       GRANT SELECT ON forbidden.open TO 'tricopy_blocked'@'%';`,
    );
    const source = makeSource(server, dir, {
      database: 'forbidden',
      user: 'tricopy_blocked',
      password: 'blocked-pw',
    });
    const dump = await source.dump({ compression: { codec: 'zstd', level: 3 } });
    dump.stream.resume();
    const error = await rejectionOf(dump.completion);
    expect(error.message).toMatch(
      /^source "app": mariadb-dump failed \(exit code 2\): mariadb-dump: .*Access denied for user 'tricopy_blocked'/,
    );
    expect(error.message).not.toMatch(/SIGTERM|killed/);
    expect(error.details).toMatch(/Access denied/);
  });
});
