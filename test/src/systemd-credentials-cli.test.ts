// A PostgreSQL password kept as a systemd credential: `schedule --print systemd` writes LoadCredential= lines, and the
// printed service's ExecStart runs a backup that reads the password from $CREDENTIALS_DIRECTORY, with no secret in
// its environment. systemd cannot run in this test environment (PID 1 is not systemd, so systemd-run fails), so the
// test lays out the credential folder as systemd does for LoadCredential= (a 0700 folder of 0400 files named after
// the credentials, $CREDENTIALS_DIRECTORY pointing at it) and runs the ExecStart words the unit holds.
import { chmod, copyFile, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';
import { makeSqliteDatabase } from './fleet-env.js';

let pg: PostgresServer;
let ws: Workspace;
let config: string;
let secretFile: string;
const outputs: string[] = [];

beforeAll(async () => {
  [pg, ws] = await Promise.all([startPostgres(), makeWorkspace('systemd-credentials')]);
  await pg.sql(
    'postgres',
    'CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, $$one$$);',
  );
  makeSqliteDatabase(join(ws.dir, 'app.db'));
  await mkdir(join(ws.dir, 'dest'));
  // The credential's source, as an admin keeps it (e.g. /etc/credstore/pg): readable by root only, a trailing newline.
  await mkdir(join(ws.dir, 'credstore'), { mode: 0o700 });
  secretFile = join(ws.dir, 'credstore', 'pg');
  await writeFile(secretFile, `${pg.password}\n`, { mode: 0o600 });
  config = await ws.writeConfig(`destinations:
  d: { type: local, path: ./dest/d }
jobs:
  pgapp:
    source: { type: postgres, host: 127.0.0.1, port: ${pg.port}, user: ${pg.user}, database: postgres, password: "\${credential:pg}" }
    destinations: [d]
    schedule: "0 3 * * *"
  files:
    source: { type: sqlite, path: ./app.db }
    destinations: [d]
    schedule: "0 4 * * *"
`);
}, 120_000);

afterAll(async () => {
  await pg?.stop();
  await ws?.remove();
});

async function run(args: string[]) {
  const result = await tricopy(args, { cwd: ws.dir });
  outputs.push(result.stdout, result.stderr);
  return result;
}

/** The lines of one unit file in the printed text (`# /etc/systemd/system/NAME` starts each). */
function unitLines(text: string, name: string): string[] {
  const start = text.indexOf(`# /etc/systemd/system/${name}\n`);
  expect(start, `${name} in:\n${text}`).toBeGreaterThanOrEqual(0);
  const rest = text.slice(start + 1);
  const end = rest.indexOf('\n# /etc/systemd/system/');
  return (end === -1 ? rest : rest.slice(0, end)).split('\n');
}

const values = (lines: readonly string[], key: string) =>
  lines.filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));

describe('schedule --print systemd with credentials', () => {
  it('writes LoadCredential= for each ${credential:NAME}, from the credential store unless a path is given', async () => {
    const bare = await run(['--config', config, 'schedule', '--print', 'systemd']);
    expect(bare.code, bare.stderr).toBe(0);
    expect(values(unitLines(bare.stdout, 'tricopy-pgapp.service'), 'LoadCredential')).toEqual(['pg']);
    // No ${VAR} in the config: nothing asks for an env file.
    expect(bare.stderr).toBe('');

    const daemon = await run([
      '--config',
      config,
      'schedule',
      '--print',
      'systemd-daemon',
      '--credentials',
      'pg=/etc/tricopy/pg.secret',
    ]);
    expect(daemon.code, daemon.stderr).toBe(0);
    expect(values(daemon.stdout.split('\n'), 'LoadCredential')).toEqual(['pg:/etc/tricopy/pg.secret']);
  });

  it('refuses a credential the config does not read, a relative path, and --credentials for crontab', async () => {
    for (const [args, message] of [
      [
        ['--print', 'systemd', '--credentials', 'pgg=/etc/pg'],
        'the config reads no ${credential:pgg} (it reads ${credential:pg})',
      ],
      [
        ['--print', 'systemd', '--credentials', 'pg=etc/pg'],
        '--credentials "pg=etc/pg": expected NAME=/absolute/path',
      ],
      [
        ['--print', 'crontab', '--credentials', 'pg=/etc/pg'],
        '--credentials: only systemd units load credentials',
      ],
    ] as const) {
      const result = await run(['--config', config, 'schedule', ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    }
  });

  it('warns that a crontab line cannot give the job its credential', async () => {
    const result = await run(['--config', config, 'schedule', '--print', 'crontab']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      'warning: the config reads ${credential:pg}, which only a systemd unit with LoadCredential= provides',
    );
  });
});

describe('the printed unit runs a backup with the credential (credential folder laid out as systemd does; no systemd here)', () => {
  let service: string[];
  let credentialsDir: string;
  beforeAll(async () => {
    const printed = await run([
      '--config',
      config,
      'schedule',
      '--print',
      'systemd',
      '--credentials',
      `pg=${secretFile}`,
    ]);
    expect(printed.code, printed.stderr).toBe(0);
    service = unitLines(printed.stdout, 'tricopy-pgapp.service');
    // What systemd does at start for LoadCredential=ID:PATH: copies PATH to $CREDENTIALS_DIRECTORY/ID, 0400, in a 0700 folder.
    credentialsDir = join(ws.dir, 'run-credentials', 'tricopy-pgapp.service');
    await mkdir(credentialsDir, { recursive: true, mode: 0o700 });
    for (const entry of values(service, 'LoadCredential')) {
      const [id, path] = entry.split(':') as [string, string];
      await copyFile(path, join(credentialsDir, id));
      await chmod(join(credentialsDir, id), 0o400);
    }
  });

  /** The unit's ExecStart, run in its WorkingDirectory with systemd's bare environment plus `env`. */
  async function execStart(env: Record<string, string>) {
    const [execLine] = values(service, 'ExecStart');
    const [workingDirectory] = values(service, 'WorkingDirectory');
    expect(execLine, 'plain words, nothing quoted').not.toMatch(/["'\\]/);
    const [program, ...args] = (execLine as string).split(' ') as [string, ...string[]];
    const result = await execa(program, args, {
      cwd: workingDirectory as string,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    });
    outputs.push(result.stdout, result.stderr);
    return result;
  }

  it('lays the credential out as systemd does: 0700 folder, 0400 file', async () => {
    expect((await stat(credentialsDir)).mode & 0o777).toBe(0o700);
    expect(await readdir(credentialsDir)).toEqual(['pg']);
    expect((await stat(join(credentialsDir, 'pg'))).mode & 0o777).toBe(0o400);
  });

  it('backs up PostgreSQL with the password from $CREDENTIALS_DIRECTORY and none in the environment', async () => {
    const result = await execStart({ CREDENTIALS_DIRECTORY: credentialsDir });
    expect(result.exitCode, result.stderr).toBe(0);
    const list = await tricopyJson<{ backups: { job: string; state: string }[] }>(
      ['--config', config, 'list', '--json'],
      { cwd: ws.dir },
    );
    expect(list.json.backups.map((b) => `${b.job} ${b.state}`)).toEqual(['pgapp ok']);
  });

  it('without $CREDENTIALS_DIRECTORY fails only that job, naming the key and what to fix', async () => {
    const runFiles = await execStart({});
    expect(runFiles.exitCode).not.toBe(0);
    expect(runFiles.stderr + runFiles.stdout).toContain(
      'jobs.pgapp.source.password: systemd credential pg: $CREDENTIALS_DIRECTORY is not set: run tricopy from a systemd unit with LoadCredential=pg:PATH',
    );
    const other = await run(['--config', config, 'backup', 'files']);
    expect(other.code, other.stderr).toBe(0);
  });

  it('never shows the password', () => {
    for (const text of outputs) expect(text).not.toContain(pg.password);
  });
});
