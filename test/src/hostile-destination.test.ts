// The hostile destination suite: whoever can write an offsite store (local disk, SFTP, S3) forges manifests of
// every kind; after `catalog rebuild --from` that store and the documented follow-ups (verify --all, forget, prune,
// restore), no real backup is deleted anywhere, nothing forged is imported or shown raw, and no forged code runs.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { loadConfig, type Manifest, type PluginTable, Session } from '@tricopy/core';
import { type S3Server, type SshdServer, startS3, startSshd } from '@tricopy/test-servers';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  filesUnder,
  makeWorkspace,
  REPO_ROOT,
  sha256File,
  tricopy,
  tricopyJson,
  type Workspace,
} from './cli.js';
import { s3Destination, sftpDestination } from './remote-env.js';

const OFFSITES = ['disk', 'nas', 'cloud'] as const;
type Offsite = (typeof OFFSITES)[number];
const ESC = '\u001b';

/** The real plugins from their builds, to write forged objects the way any client of the store can. */
const PLUGINS: PluginTable = {
  sources: {},
  destinations: { local: 'destination-local', sftp: 'destination-sftp', s3: 'destination-s3' },
  resolve: (folder) => pathToFileURL(join(REPO_ROOT, 'plugins', folder, 'dist/index.js')).href,
};

function destinationsYaml(dir: string, sshd: SshdServer, s3: S3Server): string {
  return `destinations:
  trusted: { type: local, path: ${dir}/dest/trusted, fsync: false }
  disk: { type: local, path: ${dir}/dest/disk, fsync: false }
${sftpDestination('nas', sshd)}
    hostKey: ${sshd.hostKeyFingerprint}
${s3Destination('cloud', s3, s3.secretAccessKey)}
`;
}

let sshd: SshdServer;
let s3: S3Server;
let ws: Workspace;
let forger: Session;
/** The two real backups' manifests (as stored on trusted). */
const real: Manifest[] = [];
/** Every file on trusted with its sha256, after the real backups. */
let trustedBefore: Record<string, string>;

beforeAll(async () => {
  [sshd, s3, ws] = await Promise.all([startSshd(), startS3(), makeWorkspace('hostile')]);
  await mkdir(join(ws.dir, 'dest'));
  const db = new Database(join(ws.dir, 'app.db'));
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  for (let i = 0; i < 200; i++) insert.run(randomBytes(40).toString('hex'));
  db.close();
  // A forged plugin: importing it leaves a marker file.
  await writeFile(
    join(ws.dir, 'evil.mjs'),
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(join(ws.dir, 'PWNED'))}, 'ran');\n`,
  );
  const destinations = destinationsYaml(ws.dir, sshd, s3);
  await ws.writeConfig(
    `${destinations}jobs:\n  app:\n    source: { type: sqlite, path: ./app.db }\n    destinations: [trusted, disk, nas, cloud]\n    retention: { keepLast: 2 }\n`,
  );
  for (let i = 0; i < 2; i++) {
    const backup = await tricopyJson<{ runs: { backupId: string; status: string }[] }>(['backup'], {
      cwd: ws.dir,
    });
    expect(backup.code, backup.stderr).toBe(0);
    const id = backup.json.runs[0]?.backupId as string;
    real.push(
      JSON.parse(await readFile(join(ws.dir, 'dest/trusted/app', id, 'manifest.json'), 'utf8')) as Manifest,
    );
  }
  trustedBefore = await hashesUnder(join(ws.dir, 'dest/trusted'));
  await mkdir(join(ws.dir, 'forger'));
  const forgerConfig = join(ws.dir, 'forger/tricopy.yaml');
  await writeFile(forgerConfig, `${destinations}catalog: ./forger.db\njobs: {}\n`);
  forger = new Session({ config: await loadConfig(forgerConfig, PLUGINS), logger: quiet() });
}, 180_000);

afterAll(async () => {
  await forger?.close();
  await forger?.closeCatalog();
  await Promise.allSettled([sshd?.stop(), s3?.stop(), ws?.remove()]);
});

function quiet() {
  const nothing = () => undefined;
  return { debug: nothing, info: nothing, warn: nothing, error: nothing };
}

async function hashesUnder(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of await filesUnder(dir)) out[file] = await sha256File(join(dir, file));
  return out;
}

/** A backup id for `time` (the format tricopy writes: the milliseconds as 3 hex digits, then 3 random ones). */
function idAt(time: Date): string {
  const stamp = time
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${time.getUTCMilliseconds().toString(16).padStart(3, '0')}${randomBytes(2).toString('hex').slice(0, 3)}`;
}

/** How many forgeries were made so far. */
let forgeryCount = 0;
/** The real backups' artifacts, as stored on trusted. */
const realArtifacts: Buffer[] = [];

/** A forgery: objects to write on the offsite, and what it must (not) become. */
interface Forgery {
  readonly objects: ReadonlyMap<string, Buffer | string>;
  /** Its backup id, when a consistent manifest makes it importable from the offsite alone. */
  readonly imports?: string;
}

/**
 * A manifest made consistent by hand for job `job`, `hoursBefore` hours before the first real backup, holding the
 * real artifact's bytes in its own folder; `change` then edits it.
 */
function forge(
  offsite: Offsite,
  options: {
    job?: string;
    hoursBefore?: number;
    change?: (m: Manifest) => unknown;
    folderId?: string;
    /** The real backup whose manifest and artifact it copies (default: the first). */
    from?: 0 | 1;
  } = {},
): { id: string; key: string; objects: Map<string, Buffer | string> } {
  const base = real[options.from ?? 0] as Manifest;
  const job = options.job ?? 'app';
  // A second apart from every other forgery: two forgeries never share a folder.
  forgeryCount += 1;
  const time = new Date(
    Date.parse(base.createdAt) - (options.hoursBefore ?? 1) * 3_600_000 - forgeryCount * 1000,
  );
  const id = idAt(time);
  const key = `${job}/${id}/${job}${base.artifact.key.slice(base.artifact.key.lastIndexOf('/') + 1 + base.job.length)}`;
  const manifest = {
    ...base,
    job,
    backupId: id,
    createdAt: time.toISOString(),
    finishedAt: time.toISOString(),
    artifact: { ...base.artifact, key },
    copies: [
      { destination: offsite, key },
      { destination: 'trusted', key },
    ],
  };
  const edited = options.change?.(manifest) ?? manifest;
  const body = typeof edited === 'string' ? edited : JSON.stringify(edited);
  return {
    id,
    key,
    objects: new Map<string, Buffer | string>([
      [key, realArtifacts[options.from ?? 0] as Buffer],
      [`${job}/${options.folderId ?? id}/manifest.json`, body],
    ]),
  };
}

/**
 * The deleting forgeries: one names, as its copy on trusted, the second real backup's artifact (with that artifact's
 * bytes, size and sha256, so that every check of the key passes); one names trusted under its own key.
 */
function deletingForgeries(offsite: Offsite): Record<string, Forgery> {
  const second = real[1] as Manifest;
  const pointer = forge(offsite, { hoursBefore: 2 });
  return {
    stealsTrustedKey: forge(offsite, {
      from: 1,
      change: (m) => ({ ...m, copies: [{ destination: 'trusted', key: second.artifact.key }] }),
    }),
    pointsAtTrusted: { ...pointer, imports: pointer.id },
  };
}

/** Every other forgery of the issue, for one offsite; `imports` when the forged backup is (rightly) importable. */
function forgeries(offsite: Offsite): Record<string, Forgery> {
  const first = real[0] as Manifest;
  const future = new Date('2099-01-01T00:00:00.000Z');
  const futureId = idAt(future);
  const removed = forge(offsite, {
    job: 'gone',
    hoursBefore: 3,
    change: (m) => ({ ...m, source: { type: './evil.mjs' } }),
  });
  return {
    codeLoadingSourceType: { ...removed, imports: removed.id },
    artifactKeyTraversal: forge(offsite, {
      change: (m) => ({ ...m, artifact: { ...m.artifact, key: `app/${m.backupId}/../${first.backupId}/x` } }),
    }),
    jobTraversal: forge(offsite, { change: (m) => ({ ...m, job: '../app' }) }),
    escapeInJob: forge(offsite, { change: (m) => ({ ...m, job: `app${ESC}]0;PWNED${ESC}\\${ESC}[2J` }) }),
    escapeInFolder: forge(offsite, { job: `evil${ESC}[2J${ESC}[31m` }),
    createdAt2099: forge(offsite, { change: (m) => ({ ...m, createdAt: '2099-01-01T00:00:00.000Z' }) }),
    idFrom2099: forge(offsite, {
      change: (m) => ({
        ...m,
        backupId: futureId,
        createdAt: future.toISOString(),
        finishedAt: future.toISOString(),
        artifact: { ...m.artifact, key: `app/${futureId}/app.x` },
        copies: [],
      }),
      folderId: futureId,
    }),
    wrongTypes: forge(offsite, {
      change: (m) => ({ ...m, artifact: { ...m.artifact, size: String(m.artifact.size) }, dumps: 'many' }),
    }),
    mismatchedFolder: forge(offsite, { change: (m) => ({ ...m, backupId: first.backupId }) }),
    oversize: forge(offsite, { change: (m) => ({ ...m, padding: 'x'.repeat(9 * 1_048_576) }) }),
    notJson: forge(offsite, { change: () => '{"manifestVersion": 1, "job": ' }),
  };
}

async function plant(offsite: Offsite, forged: Record<string, Forgery>): Promise<void> {
  const destination = await forger.destination(offsite);
  for (const { objects } of Object.values(forged)) {
    for (const [key, body] of objects) await destination.put(key, Readable.from([Buffer.from(body)]));
  }
}

async function loseCatalog(): Promise<void> {
  for (const suffix of ['', '-wal', '-shm'])
    await rm(join(ws.dir, `.tricopy/catalog.db${suffix}`), { force: true });
}

interface ListJson {
  backups: { backupId: string; job: string; state: string }[];
}

async function listAll(): Promise<ListJson['backups']> {
  const listed = await tricopyJson<ListJson>(['list', '--all'], { cwd: ws.dir });
  expect(listed.code, listed.stderr).toBe(0);
  return listed.json.backups;
}

/** Both real backups are listed, with every copy verified, and trusted holds exactly what it held. */
async function expectRealBackupsWhole(): Promise<void> {
  expect(await hashesUnder(join(ws.dir, 'dest/trusted'))).toEqual(trustedBefore);
  const listed = await listAll();
  for (const m of real) expect(listed.find((b) => b.backupId === m.backupId)?.state).toBe('ok');
}

describe.each(OFFSITES)('a hostile %s', (offsite) => {
  it("a manifest naming a real backup's key on trusted: rebuild, verify --all, prune, forget delete nothing there", async () => {
    realArtifacts.splice(
      0,
      2,
      ...(await Promise.all(real.map((m) => readFile(join(ws.dir, 'dest/trusted', m.artifact.key))))),
    );
    const forged = deletingForgeries(offsite);
    await plant(offsite, forged);
    await loseCatalog();

    const rebuilt = await tricopy(['catalog', 'rebuild', '--from', offsite], { cwd: ws.dir });
    expect(rebuilt.stdout).toMatch(/copies: the copy on trusted names another key/);
    expect(rebuilt.stdout).toMatch(/the copy its manifest names on trusted does not match it \(missing/);
    const steal = forged.stealsTrustedKey?.objects.keys().next().value?.split('/')[1] as string;
    const pointer = forged.pointsAtTrusted?.imports as string;
    const listed = await listAll();
    expect(listed.map((b) => b.backupId).sort()).toEqual([...real.map((m) => m.backupId), pointer].sort());
    const view = listed.find((b) => b.backupId === pointer);
    expect(JSON.stringify(view)).toContain(`"${offsite}"`);
    expect(JSON.stringify(view)).not.toContain('"trusted"');

    const verified = await tricopy(['verify', '--all'], { cwd: ws.dir });
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    const pruned = await tricopy(['prune'], { cwd: ws.dir });
    expect(pruned.code, pruned.stdout + pruned.stderr).toBe(0);
    const forgotSteal = await tricopy(['forget', steal, '--force'], { cwd: ws.dir });
    expect(forgotSteal.stderr).toContain(`no backup with id ${steal} in the catalog`);
    const forgot = await tricopy(['forget', pointer, '--force'], { cwd: ws.dir });
    expect(forgot.code, forgot.stdout + forgot.stderr).toBe(0);
    await expectRealBackupsWhole();
  });

  it('forged manifests of every kind: reported terminal-safe, never imported, never running code', async () => {
    const forged = forgeries(offsite);
    await plant(offsite, forged);
    await loseCatalog();

    const rebuilt = await tricopy(['catalog', 'rebuild', '--from', offsite], { cwd: ws.dir });
    const shown = rebuilt.stdout + rebuilt.stderr;
    expect(rebuilt.code, shown).toBe(3);
    expect(shown).not.toContain(ESC);
    expect(shown).toContain('evil\\x1b[2J\\x1b[31m/');
    expect(shown).toMatch(/invalid manifest on .+, not imported/);
    expect(shown).toMatch(/larger than \d+ bytes: not read further/);
    expect(shown).toMatch(/claims to have started in the future/);
    expect(shown).toMatch(/createdAt 2099-01-01T00:00:00.000Z is not the time its backup id/);
    expect(shown).toMatch(/artifact.size: Invalid input: expected number, received string/);
    expect(shown).toMatch(/is not a file in the backup's own folder/);
    expect(shown).toMatch(/but was found in/);
    expect(shown).toMatch(/job: not a valid name/);
    expect(shown).toMatch(/not valid JSON/);

    const removed = forged.codeLoadingSourceType?.imports as string;
    const listed = await listAll();
    expect(listed.map((b) => b.backupId).sort()).toEqual([...real.map((m) => m.backupId), removed].sort());
    for (const args of [
      ['list', '--all', '--wide'],
      ['verify', '--all'],
    ]) {
      const text = await tricopy(args, { cwd: ws.dir });
      expect(text.stdout + text.stderr, args.join(' ')).not.toContain(ESC);
    }

    const restore = await tricopy(['restore', removed, '--to', join(ws.dir, 'out.db')], { cwd: ws.dir });
    expect(restore.code).toBe(2);
    expect(restore.stderr).toContain('source type "./evil.mjs", which is neither a built-in');
    expect(restore.stderr).toContain('add job "gone" back to the config');
    expect(await readFile(join(ws.dir, 'PWNED'), 'utf8').catch(() => 'never ran')).toBe('never ran');
    await expectRealBackupsWhole();
  });
});
