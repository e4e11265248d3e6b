// Broken pipe at every stage: the stream between source, compressor, encryptor and fan-out truncated, cut or
// corrupted (through the engine's test seam, Session.tapStage) for each real source (SQLite, PostgreSQL, MariaDB),
// with and without encryption, at 0 B, 8 KiB and 1 MiB into the stream, and at 100 MiB for one source (SQLite,
// encrypted: one case per stage). Every case must fail the backup naming the stage and keep no copy; the same jobs
// without a fault pass and restore.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type LoadedConfig,
  loadConfig,
  restoreBackup,
  runBackups,
  Session,
  type SessionOptions,
  type StageSeam,
} from '@tricopy/core';
import { type MariadbServer, type PostgresServer, startMariadb, startPostgres } from '@tricopy/test-servers';
import Database from 'better-sqlite3';
import { BUILTIN_PLUGINS } from 'tricopy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder, makeWorkspace, type Workspace } from './cli.js';
import { type Fault, type FaultKind, streamFault } from './stream-faults.js';

const KIB = 1024;
const MIB = 1024 * KIB;

/** A session whose test seam injects the current fault after one stage. */
class FaultySession extends Session {
  fault: { stage: StageSeam; fault: Fault } | undefined;

  override tapStage(stage: StageSeam): ReturnType<Session['tapStage']> {
    return stage === this.fault?.stage ? this.fault.fault.stream : undefined;
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

let ws: Workspace;
let pg: PostgresServer;
let maria: MariadbServer;
let session: FaultySession;

/** Rows of barely compressible text: several MiB of dump, over 1 MiB once compressed. */
const PG_ROWS = `CREATE TABLE rows (id int PRIMARY KEY, body text NOT NULL);
INSERT INTO rows SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 70000) g;`;
const MARIA_ROWS = `CREATE DATABASE pipe; USE pipe; SET SESSION max_recursive_iterations = 100000;
CREATE TABLE rows_ (id int PRIMARY KEY, body varchar(64) NOT NULL);
INSERT INTO rows_ WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 70000)
  SELECT n, CONCAT(MD5(n), MD5(n * 7)) FROM s;`;

function sqliteDatabase(path: string, mebibytes: number): void {
  const db = new Database(path);
  db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  // SQLite makes the random rows itself: nothing of the database is held in memory here.
  db.exec(`WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${mebibytes * 4})
    INSERT INTO blobs (body) SELECT randomblob(${256 * KIB}) FROM s`);
  db.close();
}

function sqliteContent(path: string): string {
  const db = new Database(path, { readonly: true });
  const hash = createHash('sha256');
  for (const row of db.prepare('SELECT body FROM blobs ORDER BY id').iterate()) {
    hash.update((row as { body: Buffer }).body);
  }
  db.close();
  return hash.digest('hex');
}

const pgContent = (database: string) =>
  pg.sql(database, "SELECT count(*), md5(string_agg(body, ',' ORDER BY id)) FROM rows");
const mariaContent = (database: string) =>
  maria.sql('SELECT COUNT(*), SUM(CRC32(CONCAT(id, body))) FROM rows_', database);

function config(recipient: string): string {
  const sources = {
    sqlite: '{ type: sqlite, path: ./small.db }',
    pg: `{ type: postgres, host: 127.0.0.1, port: ${pg.port}, user: ${pg.user}, database: pipe, password: "\${PGPASS}" }`,
    maria: `{ type: mysql, host: 127.0.0.1, port: ${maria.port}, user: ${maria.user}, database: pipe, password: "\${MYSQL_PASS}" }`,
    big: '{ type: sqlite, path: ./big.db }',
  };
  const jobs = Object.entries(sources)
    .flatMap(([name, source]) => [
      `  ${name}: { source: ${source}, destinations: [disk] }`,
      `  ${name}_age: { source: ${source}, destinations: [disk], encryption: { recipients: [${recipient}] } }`,
    ])
    .filter((line) => !line.startsWith('  big:'));
  return [
    'destinations:',
    '  disk: { type: local, path: ./dest/disk }',
    'jobs:',
    ...jobs,
    'catalog: ./catalog.db',
    'workDir: ./work',
    'policy: { enforce: warn }',
  ].join('\n');
}

beforeAll(async () => {
  ws = await makeWorkspace('broken-pipe');
  [pg, maria] = await Promise.all([startPostgres(), startMariadb()]);
  await pg.createDatabase('pipe');
  await pg.sql('pipe', PG_ROWS);
  await maria.sql(MARIA_ROWS);
  sqliteDatabase(join(ws.dir, 'small.db'), 3);
  sqliteDatabase(join(ws.dir, 'big.db'), 110);
  await mkdir(join(ws.dir, 'dest'));
  const identityFile = join(ws.dir, 'key.txt');
  execFileSync('age-keygen', ['-o', identityFile], { stdio: 'ignore' });
  const recipient = execFileSync('age-keygen', ['-y', identityFile], { encoding: 'utf8' }).trim();
  const configPath = join(ws.dir, 'tricopy.yaml');
  await writeFile(configPath, config(recipient));
  const loaded: LoadedConfig = await loadConfig(configPath, BUILTIN_PLUGINS, {
    ...process.env,
    PGPASS: pg.password,
    MYSQL_PASS: maria.password,
  });
  const options: SessionOptions = { config: loaded, logger: silent, identityFile };
  session = new FaultySession(options);
}, 180_000);

afterAll(async () => {
  await session?.close();
  await session?.closeCatalog();
  await Promise.all([pg?.stop(), maria?.stop()]);
  await rm(ws.dir, { recursive: true, force: true });
});

async function backup(job: string) {
  const [run] = (await runBackups(session, [job])).runs;
  if (run === undefined) throw new Error(`no run of ${job}`);
  return run;
}

/** What the stage's output turns into when decoded: the message must name that stage. */
function expectedFailure(stage: StageSeam, encrypted: boolean): RegExp {
  if (stage === 'encryptor')
    return /^the backup is not proven: the age stage's output does not decrypt: age: /;
  if (stage === 'compressor' && encrypted) {
    // Decoded mid-stream, the zstd output as age received it fails to decompress; at the end, decrypted ≠ given.
    return /^the backup is not proven: the (age stage's output decrypts to \d+ (bytes that differ from the|of the) \d+ bytes the zstd stage gave it|zstd stage's output does not decompress: .+)$/;
  }
  return /^the backup is not proven: the zstd stage's output (does not decompress: .+|decodes to \d+ (bytes that differ from the|of the) \d+ bytes the (sqlite|postgres|mysql) source produced)$/;
}

interface Case {
  readonly job: string;
  readonly stage: StageSeam;
  readonly kind: FaultKind;
  readonly offset: number;
}

const KINDS: readonly FaultKind[] = ['truncate', 'drop', 'corrupt'];
const SMALL: readonly Case[] = ['sqlite', 'pg', 'maria'].flatMap((source) =>
  [source, `${source}_age`].flatMap((job) =>
    (job.endsWith('_age')
      ? (['source', 'compressor', 'encryptor'] as const)
      : (['source', 'compressor'] as const)
    ).flatMap((stage) =>
      KINDS.flatMap((kind) => [0, 8 * KIB, MIB].map((offset) => ({ job, stage, kind, offset }))),
    ),
  ),
);
/** The 100 MiB cases: one source, encrypted, one fault per stage. */
const BIG: readonly Case[] = (['source', 'compressor', 'encryptor'] as const).map((stage, i) => ({
  job: 'big_age',
  stage,
  kind: KINDS[i] as FaultKind,
  offset: 100 * MIB,
}));

describe('broken pipe at every stage', () => {
  it.each([...SMALL, ...BIG])(
    '$job: $kind after the $stage at $offset B fails the backup, naming the stage, and keeps nothing',
    async ({ job, stage, kind, offset }) => {
      const fault = streamFault(kind, offset);
      session.fault = { stage, fault };
      try {
        const run = await backup(job);
        expect(fault.fired(), 'the stream reached the fault').toBe(true);
        expect(run.status).toBe('failed');
        expect(run.error).toMatch(expectedFailure(stage, job.endsWith('_age')));
        expect(await filesUnder(join(ws.dir, 'dest/disk', job, run.backupId)).catch(() => [])).toEqual([]);
      } finally {
        session.fault = undefined;
      }
    },
  );

  const CONTROLS = [...['sqlite', 'pg', 'maria'].flatMap((source) => [source, `${source}_age`]), 'big_age'];
  it.each(CONTROLS)('%s without a fault: proven, stored and restored as it was', async (job) => {
    const run = await backup(job);
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('ok');
    const row = await session.catalog.getBackup(run.backupId);
    if (row === undefined) throw new Error('not recorded');
    const source = job.replace(/_age$/, '');
    if (source === 'sqlite' || source === 'big') {
      const path = join(ws.dir, `restored-${job}.db`);
      await restoreBackup(session, row, { path });
      expect(sqliteContent(path)).toBe(
        sqliteContent(join(ws.dir, `${source === 'big' ? 'big' : 'small'}.db`)),
      );
      await rm(path);
    } else {
      const database = `restored_${job}`;
      await restoreBackup(session, row, { database, createDatabase: true });
      const content = source === 'pg' ? pgContent : mariaContent;
      expect(await content(database)).toBe(await content('pipe'));
    }
  });
});
