// PostgreSQL and MariaDB sources failing through the real CLI: one clear line per problem, nothing recorded as good,
// nothing under a final name; a dump killed mid-way; and the passwords out of every dump child's argv and environment.
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { descendantsOf, freePort, type ProcessEntry } from '@tricopy/test-servers';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupJson, filesUnder, startTricopy } from './cli.js';
import { hasStackTrace, type SourcesEnv, startSourcesEnv } from './sources-env.js';

type Run = BackupJson['runs'][number];

let env: SourcesEnv;
let unusedPort: number;

beforeAll(async () => {
  env = await startSourcesEnv('sources-errors');
  unusedPort = await freePort();
  await writeScript(
    'old-pg_dump',
    `case " $* " in *" --version "*) echo 'pg_dump (PostgreSQL) 12.3'; exit 0 ;; esac
echo 'this fake pg_dump must never be asked to dump' >&2
exit 1`,
  );
});
afterAll(() => env?.stop());

async function writeScript(name: string, body: string): Promise<string> {
  const path = join(env.ws.dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

/** One job named `job` of `kind`, its source options overridden, written to three local destinations under `root`. */
async function writeJobConfig(
  file: string,
  job: string,
  kind: 'pg' | 'mysql',
  overrides: Record<string, string | number>,
  root: string,
): Promise<string> {
  const source: Record<string, string | number> =
    kind === 'pg'
      ? {
          type: 'postgres',
          host: '127.0.0.1',
          port: env.pg.port,
          user: env.pg.user,
          database: 'chinook',
          password: '${PGPASS_APP}',
          connectTimeoutSeconds: 5,
        }
      : {
          type: 'mysql',
          host: '127.0.0.1',
          port: env.maria.port,
          user: env.maria.user,
          database: 'Chinook',
          password: '${MYSQL_PASS}',
          connectTimeoutSeconds: 5,
        };
  Object.assign(source, overrides);
  const sourceYaml = Object.entries(source)
    .map(([key, value]) => `      ${key}: ${JSON.stringify(value)}`)
    .join('\n');
  const path = join(env.ws.dir, file);
  await writeFile(
    path,
    `
destinations:
  primary: { type: local, path: ./${root}/primary }
  usb: { type: local, path: ./${root}/usb, media: removable }
  offsite: { type: local, path: ./${root}/offsite, media: tape, offsite: true }
jobs:
  ${job}:
    source:
${sourceYaml}
    destinations: [primary, usb, offsite]
    compression: none
retries: { attempts: 2, minDelay: 10ms, maxDelay: 50ms }
workDir: ./work
`,
  );
  await execa('mkdir', ['-p', join(env.ws.dir, root)]);
  return path;
}

interface FailureCase {
  readonly name: string;
  readonly kind: 'pg' | 'mysql';
  readonly overrides?: Record<string, string | number>;
  readonly env?: Record<string, string>;
  /** What the one-line error must say (it always names the source too). */
  readonly says: RegExp;
}

const WRONG = 'not-the-password-51c0e2';

const failures: FailureCase[] = [
  {
    name: 'pg-wrong-password',
    kind: 'pg',
    env: { PGPASS_APP: WRONG },
    says: /rejected the password of user "postgres" \(check password \/ passwordFile\)/,
  },
  {
    name: 'pg-refused',
    kind: 'pg',
    overrides: { port: -1 },
    says: /cannot connect to PostgreSQL at 127\.0\.0\.1:\d+: connection refused \(is the server running\? check host and port\)/,
  },
  {
    name: 'pg-unknown-db',
    kind: 'pg',
    overrides: { database: 'chinook_typo' },
    says: /database "chinook_typo" does not exist on 127\.0\.0\.1:\d+ \(check the database option\)/,
  },
  {
    name: 'pg-no-pg-dump',
    kind: 'pg',
    overrides: { pgDumpPath: '/nonexistent/bin/pg_dump' },
    says: /pg_dump not found at \/nonexistent\/bin\/pg_dump \(pgDumpPath\)/,
  },
  {
    name: 'pg-old-pg-dump',
    kind: 'pg',
    overrides: { pgDumpPath: './old-pg_dump' },
    says: /pg_dump 12\.3 .* is older than the server \(PostgreSQL 15[.\d]*\).*install the PostgreSQL 15 client tools/,
  },
  {
    name: 'mysql-wrong-password',
    kind: 'mysql',
    env: { MYSQL_PASS: WRONG },
    says: /denied access to user "tricopy" \(check user, password \/ passwordFile\)/,
  },
  {
    name: 'mysql-refused',
    kind: 'mysql',
    overrides: { port: -1 },
    says: /cannot connect to MySQL\/MariaDB at 127\.0\.0\.1:\d+: connection refused/,
  },
  {
    name: 'mysql-unknown-db',
    kind: 'mysql',
    overrides: { database: 'Chinook_typo' },
    says: /database "Chinook_typo" does not exist on 127\.0\.0\.1:\d+ \(check the database option\)/,
  },
  {
    name: 'mysql-no-dump-binary',
    kind: 'mysql',
    overrides: { dumpBinary: '/nonexistent/bin/mariadb-dump' },
    says: /dumpBinary \/nonexistent\/bin\/mariadb-dump not found or not executable/,
  },
];

describe('a source that cannot be dumped: one line through the CLI, nothing recorded as good', () => {
  it.each(failures)('$name', async (failure) => {
    const overrides = { ...failure.overrides };
    if (overrides.port === -1) overrides.port = unusedPort;
    const root = `dest-${failure.name}`;
    const config = await writeJobConfig(`${failure.name}.yaml`, failure.name, failure.kind, overrides, root);
    const runEnv = failure.env === undefined ? {} : { env: failure.env };

    const backup = await env.runJson<BackupJson>(['backup', '--config', config], runEnv);
    expect(backup.code, backup.stderr).toBe(1);
    const run = backup.json.runs[0] as Run;
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(new RegExp(`source "${failure.name}"`));
    expect(run.error).toMatch(failure.says);
    expect(run.error).not.toContain('\n');
    expect(hasStackTrace(backup.stderr)).toBe(false);

    const human = await env.run(['backup', '--config', config], runEnv);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(failure.says);
    expect(hasStackTrace(human.stderr)).toBe(false);

    const check = await env.run(['check', '--config', config], runEnv);
    expect(check.code).toBe(1);
    const line = check.stdout.split('\n').find((l) => l.startsWith(failure.name));
    expect(line).toMatch(/FAILED: /);
    expect(line).toMatch(failure.says);
    expect(hasStackTrace(check.stderr)).toBe(false);

    const list = await env.runJson<{ backups: { status: string; size: number | null }[] }>([
      'list',
      '--config',
      config,
      '--job',
      failure.name,
    ]);
    expect(list.json.backups.map((b) => b.status)).toEqual(['failed', 'failed']);
    // Not even a temporary file is left behind.
    expect(await filesUnder(join(env.ws.dir, root))).toEqual([]);
  });
});

describe('a dump that dies mid-way', () => {
  it('mariadb-dump exiting non-zero after some output: failed, no artifact, its stderr shown with the password redacted', async () => {
    // Prints the password it was given (as a chatty tool might), streams part of the dump, then fails.
    const wrapper = await writeScript(
      'dying-mariadb-dump',
      `case " $* " in *" --version "*) exec /usr/bin/mariadb-dump "$@" ;; esac
for arg in "$@"; do case "$arg" in --defaults-file=*) options="\${arg#--defaults-file=}" ;; esac; done
echo "mariadb-dump: connecting with $(grep '^password=' "$options")" >&2
/usr/bin/mariadb-dump "$@" | head -c 40000
echo "mariadb-dump: Got error: 2013: Lost connection to server during query when dumping table Track at row: 1200" >&2
exit 2`,
    );
    const config = await writeJobConfig(
      'dying-mysql.yaml',
      'dying-mysql',
      'mysql',
      { dumpBinary: wrapper },
      'dest-dying-mysql',
    );
    const backup = await env.runJson<BackupJson>(['backup', '--config', config]);
    expect(backup.code).toBe(1);
    const run = backup.json.runs[0] as Run;
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/source "dying-mysql".*exit code 2/);
    const shown = `${run.error}\n${backup.stderr}`;
    expect(shown).toContain('Lost connection to server during query when dumping table Track');
    expect(shown).toMatch(/connecting with password=.*\*\*\*/);
    expect(shown).not.toContain(env.maria.password);
    expect(hasStackTrace(backup.stderr)).toBe(false);
    // Not even a temporary file is left behind.
    expect(await filesUnder(join(env.ws.dir, 'dest-dying-mysql'))).toEqual([]);
  });

  it('pg_dump killed by SIGKILL after some output: failed, no artifact, its stderr shown with the password redacted', async () => {
    const wrapper = await writeScript(
      'dying-pg_dump',
      `case " $* " in *" --version "*) exec ${env.pg.binDir}/pg_dump "$@" ;; esac
echo "pg_dump: password file holds $(cat "$PGPASSFILE")" >&2
${env.pg.binDir}/pg_dump "$@" | head -c 4000
kill -KILL $$`,
    );
    const config = await writeJobConfig(
      'dying-pg.yaml',
      'dying-pg',
      'pg',
      { pgDumpPath: wrapper },
      'dest-dying-pg',
    );
    const backup = await env.runJson<BackupJson>(['backup', '--config', config]);
    expect(backup.code).toBe(1);
    const run = backup.json.runs[0] as Run;
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/source "dying-pg": pg_dump was killed by SIGKILL/);
    const shown = `${run.error}\n${backup.stderr}`;
    expect(shown).toMatch(/password file holds .*\*\*\*/);
    expect(shown).not.toContain(env.pg.password);
    expect(hasStackTrace(backup.stderr)).toBe(false);
    // Not even a temporary file is left behind.
    expect(await filesUnder(join(env.ws.dir, 'dest-dying-pg'))).toEqual([]);
  });
});

// --- The dump children's argv and environment, inspected while they run -----------------------------------------

/**
 * The dump itself: tricopy also runs `pg_dump --version` and `mariadb-dump --version` first, which exit at once (read
 * after they are gone, /proc answers ESRCH).
 */
async function waitForDump(root: number, comm: string, child: ResultPromise): Promise<ProcessEntry> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const proc = (await descendantsOf(root)).find(
      // A zombie shows no argv: the version check, exited but not yet reaped.
      (p) => p.comm === comm && p.argv.length > 0 && !p.argv.includes('--version'),
    );
    if (proc !== undefined) return proc;
    if (child.nodeChildProcess.exitCode !== null || Date.now() > deadline) {
      throw new Error(
        `no ${comm} under tricopy (pid ${root}) ${child.nodeChildProcess.exitCode === null ? 'within 60 s' : 'before it exited'}`,
      );
    }
    await sleep(20);
  }
}

/** A session holding a lock until `release()`: the dump blocks on it, so its process can be read at leisure. */
async function holdLock(
  file: string,
  args: string[],
  statements: string,
  locked: () => Promise<boolean>,
): Promise<{ release(): Promise<void> }> {
  const session = execa(file, args, {
    stdin: 'pipe',
    reject: false,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '' },
  });
  session.stdin.write(statements);
  const deadline = Date.now() + 30_000;
  while (!(await locked())) {
    if (session.nodeChildProcess.exitCode !== null || Date.now() > deadline) {
      const result = await session;
      throw new Error(`could not take the lock: ${String(result.stderr)}`);
    }
    await sleep(20);
  }
  return {
    release: async () => {
      session.stdin.end();
      await session;
    },
  };
}

describe('passwords stay out of the dump children', () => {
  it('neither pg_dump nor mariadb-dump has the password in /proc/<pid>/cmdline or environ while tricopy backup runs', async () => {
    const { pg, maria } = env;
    const config = join(env.ws.dir, 'proc.yaml');
    const pgConfig = await readFile(
      await writeJobConfig('proc-pg.yaml', 'pg', 'pg', {}, 'dest-proc'),
      'utf8',
    );
    const mysqlConfig = await readFile(
      await writeJobConfig('proc-mysql.yaml', 'mysql', 'mysql', {}, 'dest-proc'),
      'utf8',
    );
    // One config with both jobs: the jobs block of the mysql config appended to the pg one.
    const mysqlJob = mysqlConfig.slice(mysqlConfig.indexOf('  mysql:'), mysqlConfig.indexOf('retries:'));
    await writeFile(config, pgConfig.replace('retries:', `${mysqlJob}retries:`));

    const pgLock = await holdLock(
      join(pg.binDir, 'psql'),
      ['-X', '-q', '-h', pg.socketDir, '-p', String(pg.port), '-U', 'postgres', '-d', 'chinook'],
      'BEGIN;\nLOCK TABLE track IN ACCESS EXCLUSIVE MODE;\n',
      async () =>
        (await pg.sql(
          'chinook',
          "SELECT count(*) FROM pg_locks WHERE relation = 'track'::regclass AND mode = 'AccessExclusiveLock' AND granted",
        )) === '1',
    );
    let mysqlLock: { release(): Promise<void> } | undefined;
    let backup: ResultPromise | undefined;
    try {
      mysqlLock = await holdLock(
        '/usr/bin/mariadb',
        ['--no-defaults', '--user=root', `--socket=${maria.socket}`, 'Chinook'],
        'LOCK TABLES Track WRITE;\n',
        async () =>
          (await maria.sql("SHOW OPEN TABLES FROM Chinook WHERE `Table` = 'Track' AND In_use > 0")) !== '',
      );
      backup = startTricopy(['backup', '--json', '--config', config], { cwd: env.ws.dir, env: env.env });
      const root = backup.pid as number;
      const seen: Record<string, string[]> = {};
      for (const [comm, lock] of [
        ['pg_dump', pgLock],
        ['mariadb-dump', mysqlLock],
      ] as const) {
        const proc = await waitForDump(root, comm, backup);
        const cmdline = (await readFile(`/proc/${proc.pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
        const environ = await readFile(`/proc/${proc.pid}/environ`, 'utf8');
        seen[comm] = cmdline;
        for (const secret of [pg.password, maria.password]) {
          expect(cmdline.join(' '), comm).not.toContain(secret);
          expect(environ, comm).not.toContain(secret);
        }
        // Every other process tricopy started so far, too.
        for (const other of await descendantsOf(root)) {
          const text = other.argv.join(' ');
          expect(text).not.toContain(pg.password);
          expect(text).not.toContain(maria.password);
        }
        await lock.release();
      }
      // It was the real dump that was read, with its settings in a file, not on the command line.
      expect(seen.pg_dump?.some((arg) => arg.startsWith('--snapshot='))).toBe(true);
      expect(seen['mariadb-dump']?.[1]).toMatch(/^--defaults-file=/);

      const result = await backup;
      const json = JSON.parse(String(result.stdout)) as BackupJson;
      expect(result.exitCode, String(result.stderr)).toBe(0);
      expect(json.runs.map((r) => [r.job, r.status]).sort()).toEqual([
        ['mysql', 'ok'],
        ['pg', 'ok'],
      ]);
    } finally {
      await pgLock.release();
      await mysqlLock?.release();
      if (backup !== undefined && backup.nodeChildProcess.exitCode === null) backup.kill();
      await backup;
    }
  });
});

describe('a restore or restore test interrupted by SIGTERM', () => {
  /** The proc.yaml jobs (whose backups are in the catalog) with restore tools that announce themselves and hang. */
  async function hangingRestoreConfig(): Promise<{ config: string; started: string }> {
    const started = join(env.ws.dir, 'restore-tool-started');
    await rm(started, { force: true });
    const hang = (real: string) =>
      `case " $* " in *" --version "*) exec ${real} "$@" ;; esac\ntouch '${started}'\nexec sleep 300`;
    const pgRestore = await writeScript('hanging-pg_restore', hang(join(env.pg.binDir, 'pg_restore')));
    const client = await writeScript('hanging-mariadb', hang('/usr/bin/mariadb'));
    const proc = await readFile(join(env.ws.dir, 'proc.yaml'), 'utf8');
    const config = join(env.ws.dir, 'hanging-restore.yaml');
    await writeFile(
      config,
      proc
        .replace('      type: "postgres"', `      type: "postgres"\n      pgRestorePath: "${pgRestore}"`)
        .replace('      type: "mysql"', `      type: "mysql"\n      clientBinary: "${client}"`),
    );
    return { config, started };
  }

  async function interrupted(args: string[], started: string): Promise<{ code: number; stderr: string }> {
    const child = startTricopy(args, { cwd: env.ws.dir, env: env.env });
    try {
      const deadline = Date.now() + 60_000;
      while (!(await stat(started).catch(() => undefined))) {
        if (child.nodeChildProcess.exitCode !== null || Date.now() > deadline)
          throw new Error('the restore tool never started');
        await sleep(20);
      }
      child.kill('SIGTERM');
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    const result = await child;
    env.outputs.push(String(result.stdout), String(result.stderr));
    return { code: result.exitCode ?? -1, stderr: String(result.stderr) };
  }

  it('restore --create-database: exits non-zero, drops the database it created, leaves no password file', async () => {
    const { config, started } = await hangingRestoreConfig();
    const result = await interrupted(
      [
        'restore',
        '--config',
        config,
        '--latest',
        '--job',
        'pg',
        '--to-database',
        'interrupted_copy',
        '--create-database',
      ],
      started,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/cancelled|interrupted/);
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(
      await env.pg.sql('postgres', "SELECT count(*) FROM pg_database WHERE datname = 'interrupted_copy'"),
    ).toBe('0');
    expect(await filesUnder(join(env.ws.dir, 'work'))).toEqual([]);
  });

  it('verify --restore-test: exits non-zero, drops its scratch database, leaves no password file', async () => {
    const { config, started } = await hangingRestoreConfig();
    const before = await env.maria.sql('SHOW DATABASES');
    const result = await interrupted(
      ['verify', '--config', config, '--latest', '--job', 'mysql', '--restore-test'],
      started,
    );
    expect(result.code).not.toBe(0);
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(await env.maria.sql('SHOW DATABASES')).toBe(before);
    expect(await filesUnder(join(env.ws.dir, 'work'))).toEqual([]);
    // An interrupted test says nothing about the backup: the copy checks before it are the last verification.
    const list = await env.runJson<{ backups: { lastVerified: { level: string; status: string } | null }[] }>(
      ['list', '--config', config, '--job', 'mysql'],
    );
    expect(list.json.backups[0]?.lastVerified).toMatchObject({ level: 'deep', status: 'ok' });
  });
});

describe('secrets', () => {
  const secrets = () => [env.pg.password, env.maria.password, WRONG];

  it('no password, right or wrong, in any output of any command run above', () => {
    expect(env.outputs.length).toBeGreaterThan(40);
    for (const secret of secrets()) {
      for (const output of env.outputs) expect(output).not.toContain(secret);
    }
  });

  it('every run removed its work folder files, also when the dump was killed', async () => {
    // The folder exists (tricopy used it), its files are gone.
    expect((await stat(join(env.ws.dir, 'work'))).isDirectory()).toBe(true);
    expect(await filesUnder(join(env.ws.dir, 'work'))).toEqual([]);
  });

  it('no password in the bytes of the catalog that recorded all these failures, nor in any manifest', async () => {
    const files = (await filesUnder(env.ws.dir))
      .filter((f) => f.includes('catalog.db') || f.endsWith('manifest.json'))
      .map((f) => join(env.ws.dir, f));
    expect(files.filter((f) => f.includes('catalog.db')).length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = await readFile(file);
      for (const secret of secrets()) expect(bytes.includes(secret), `${secret} in ${file}`).toBe(false);
    }
  });
});
