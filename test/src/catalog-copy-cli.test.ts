// Moving from the embedded SQLite catalog to fleet mode's PostgreSQL catalog with `tricopy catalog copy`, through
// the real CLI against a real PostgreSQL: every command gives the same answers from the moved catalog as before.
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';
import { growSqliteDatabase, makeSqliteDatabase } from './fleet-env.js';

interface ListJson {
  backups: { backupId: string; job: string; status: string; state: string; prunedAt: string | null }[];
}
interface PruneJson {
  jobs: { job: string; destinations: { destination: string; removed: { backupId: string }[] }[] }[];
}

const JOBS = `
destinations:
  primary: { type: local, path: ./dest/primary, fsync: false }
  second: { type: local, path: ./dest/second, media: removable, fsync: false }
  broken: { type: local, path: ./dest/broken, fsync: false }
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary, second]
    retention: { keepLast: 2 }
  other:
    source: { type: sqlite, path: ./other.db }
    destinations: [second]
  shaky:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary, broken]
policy: { copies: 1, media: 1, offsite: 0 }
`;
const OLD_CATALOG = '.tricopy/catalog.db';

let pg: PostgresServer | undefined;
let ws: Workspace | undefined;
let databases = 0;
const server = () => pg as PostgresServer;
const dir = () => (ws as Workspace).dir;
const opts = () => ({ cwd: dir(), env: { PGPASS_TEST: server().password } });

/** Points the config at a new, empty catalog database of its own (or at `url`); returns the database's name. */
async function usePostgres(url?: string): Promise<string> {
  const name = `catalog_${++databases}`;
  const s = server();
  if (url === undefined) await s.createDatabase(name);
  const catalog = url ?? `postgres://${s.user}:\${PGPASS_TEST}@${s.host}:${s.port}/${name}`;
  await writeFile(join(dir(), 'tricopy.yaml'), `catalog: ${catalog}\n${JOBS}`);
  return name;
}

async function answers(): Promise<{ list: ListJson; metrics: string; dryRun: PruneJson }> {
  const list = await tricopyJson<ListJson>(['list', '--all'], opts());
  const metrics = await tricopy(['metrics'], opts());
  const dryRun = await tricopyJson<PruneJson>(['prune', '--dry-run'], opts());
  expect([list.code, metrics.code, dryRun.code], `${list.stderr}${metrics.stderr}${dryRun.stderr}`).toEqual([
    0, 0, 0,
  ]);
  return { list: list.json, metrics: metrics.stdout, dryRun: dryRun.json };
}

let before: Awaited<ReturnType<typeof answers>>;
let verifiedBefore: unknown;

beforeAll(async () => {
  [pg, ws] = await Promise.all([startPostgres(), makeWorkspace('catalog-copy')]);
  makeSqliteDatabase(join(dir(), 'app.db'));
  makeSqliteDatabase(join(dir(), 'other.db'));
  await mkdir(join(dir(), 'dest'));
  await writeFile(join(dir(), 'dest', 'broken'), 'a file where a folder should be: every write fails');
  await writeFile(join(dir(), 'tricopy.yaml'), JOBS);
  // The history on the SQLite catalog: three backups of app (one pruned), a degraded one, a deep-verified one.
  for (const [args, code] of [
    [['backup', 'app'], 0],
    [['backup'], 3],
    [['backup', 'app'], 0],
    [['verify', '--latest', '--deep'], 3],
    [['prune'], 0],
  ] as const) {
    if (args[0] === 'backup') growSqliteDatabase(join(dir(), 'app.db'), 50);
    const result = await tricopy(args, opts());
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(code);
  }
  const verified = await tricopyJson(['verify', '--all'], opts());
  expect(verified.code, verified.stderr).toBe(3); // shaky's copy on broken is missing
  verifiedBefore = verified.json;
  before = await answers();
  expect(before.list.backups.map((b) => `${b.job} ${b.state}`).sort()).toEqual([
    'app ok',
    'app ok',
    'app pruned',
    'other ok',
    'shaky degraded',
  ]);
}, 180_000);

afterAll(async () => {
  await pg?.stop();
  await ws?.remove();
});

describe('tricopy catalog copy --from OLD.db into a PostgreSQL catalog', () => {
  it('copies the history: list, metrics and prune answer from PostgreSQL exactly as from SQLite', async () => {
    await usePostgres();
    const oldFile = () => readFile(join(dir(), OLD_CATALOG));
    const unchanged = await oldFile();
    const copied = await tricopy(['catalog', 'copy', '--from', OLD_CATALOG], opts());
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.stdout).toMatch(
      /^copied 3 runs, 5 backups, 9 copies, \d+ verification results, 0 stale-job episodes, 0 archived WAL files, 0 WAL copies from \/.*\/\.tricopy\/catalog\.db to postgres:\/\/postgres:\*\*\*@/,
    );
    expect(copied.stdout + copied.stderr).not.toContain(server().password);
    expect(await answers()).toEqual(before);
    expect(await oldFile()).toEqual(unchanged);
  });

  it('a second copy changes nothing and says so', async () => {
    const again = await tricopyJson<{ outcome: string; records: Record<string, number> }>(
      ['catalog', 'copy', '--from', OLD_CATALOG],
      opts(),
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ outcome: 'present', records: { runs: 3, backups: 5, copies: 9 } });
    const human = await tricopy(['catalog', 'copy', '--from', OLD_CATALOG], opts());
    expect(human.stdout).toMatch(/already holds every record of .*catalog\.db, unchanged .*: nothing copied/);
    expect(await answers()).toEqual(before);
  });

  it('verify and restore work from the moved catalog', async () => {
    const verified = await tricopyJson(['verify', '--all'], opts());
    expect(verified.code, verified.stderr).toBe(3);
    expect(verified.json).toEqual(verifiedBefore);
    const restored = await tricopy(['restore', '--latest', '--job', 'app', '--to', './restored.db'], opts());
    expect(restored.code, restored.stderr).toBe(0);
    const count = (file: string) => {
      const db = new Database(join(dir(), file), { readonly: true });
      const { n } = db.prepare('SELECT count(*) AS n FROM items').get() as { n: number };
      db.close();
      return n;
    };
    expect(count('restored.db')).toBe(count('app.db'));
  });

  it('new backups go on from the copied ids, and prune removes what it would have removed on SQLite', async () => {
    const backup = await tricopyJson<{ runs: { backupId: string }[] }>(['backup', 'app'], opts());
    expect(backup.code, backup.stderr).toBe(0);
    const oldest = before.list.backups.filter((b) => b.job === 'app' && b.state === 'ok').at(-1)?.backupId;
    const pruned = await tricopyJson<PruneJson>(['prune'], opts());
    expect(pruned.code, pruned.stderr).toBe(0);
    const app = pruned.json.jobs.find((j) => j.job === 'app');
    expect(app?.destinations.map((d) => [d.destination, d.removed.map((r) => r.backupId)])).toEqual([
      ['primary', [oldest]],
      ['second', [oldest]],
    ]);
    const list = await tricopyJson<ListJson>(['list', '--all', '--job', 'app'], opts());
    expect(list.json.backups.map((b) => b.state)).toEqual(['ok', 'ok', 'pruned', 'pruned']);
  });

  it('refuses a catalog that already holds another history, in one line, and changes nothing there', async () => {
    await usePostgres();
    expect((await tricopy(['backup', 'other'], opts())).code).toBe(0);
    const listed = await tricopyJson<ListJson>(['list', '--all'], opts());
    const refused = await tricopy(['catalog', 'copy', '--from', OLD_CATALOG], opts());
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^tricopy: the target catalog is not empty and holds other records \(.*\): copy into an empty catalog$/,
      ),
    ]);
    expect((await tricopyJson<ListJson>(['list', '--all'], opts())).json).toEqual(listed.json);
  });

  it('an unreachable or malformed catalog URL, a missing file, a file that is no catalog or a URL as --from is one clear line', async () => {
    await usePostgres(`postgres://${server().user}:\${PGPASS_TEST}@127.0.0.1:1/nowhere`);
    const unreachable = await tricopy(['catalog', 'copy', '--from', OLD_CATALOG], opts());
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim()).toBe(
      `tricopy: cannot open the catalog at postgres://${server().user}@127.0.0.1:1/nowhere: connection refused (is PostgreSQL running there? check catalog: in the config)`,
    );
    await usePostgres('postgres://u:${PGPASS_TEST}@exa mple:99999/db');
    const malformed = await tricopy(['catalog', 'copy', '--from', OLD_CATALOG], opts());
    expect([malformed.code, malformed.stderr.trim()]).toEqual([
      2,
      `tricopy: ${join(dir(), 'tricopy.yaml')}: catalog: not a valid URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)`,
    ]);
    await usePostgres();
    const missing = await tricopy(['catalog', 'copy', '--from', './nope.db'], opts());
    expect([missing.code, missing.stderr.trim()]).toEqual([
      2,
      'tricopy: --from ./nope.db: no catalog file there (give the path of the old catalog.db)',
    ]);
    const tables = () => {
      const db = new Database(join(dir(), 'other.db'), { readonly: true });
      const names = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all();
      db.close();
      return names;
    };
    const before = tables();
    for (const file of ['other.db', 'tricopy.yaml']) {
      const notCatalog = await tricopy(['catalog', 'copy', '--from', file], opts());
      expect([notCatalog.code, notCatalog.stderr.trim()]).toEqual([
        2,
        `tricopy: ${join(dir(), file)} is not a tricopy catalog (it has no catalog schema: give the old catalog.db)`,
      ]);
    }
    expect(tables()).toEqual(before); // an application's database given by mistake is not touched
    const url = await tricopy(['catalog', 'copy', '--from', 'postgres://u@h/db'], opts());
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/^tricopy: --from takes the SQLite catalog file to copy/);
  });

  it('refuses a damaged old catalog in one line naming it, and copies nothing', async () => {
    await usePostgres();
    const damaged = join(dir(), 'damaged.db');
    await copyFile(join(dir(), OLD_CATALOG), damaged);
    const db = new Database(damaged);
    db.pragma('foreign_keys = OFF');
    db.exec(`DELETE FROM backups WHERE job = 'other'`); // its copies and verifications now refer to a backup that is not there
    db.close();
    const refused = await tricopy(['catalog', 'copy', '--from', 'damaged.db'], opts());
    expect([refused.code, refused.stderr.trim().split('\n')]).toEqual([
      1,
      [
        expect.stringMatching(
          new RegExp(
            `^tricopy: the catalog ${damaged} is damaged \\(row \\d+ of \\w+ refers to a missing backups row\\): copy a sound catalog file instead .*catalog rebuild --from DESTINATION`,
          ),
        ),
      ],
    ]);
    expect((await tricopyJson<ListJson>(['list', '--all'], opts())).json.backups).toEqual([]);
  });

  it('refuses to copy the config’s own SQLite catalog onto itself', async () => {
    await copyFile(join(dir(), OLD_CATALOG), join(dir(), 'same.db'));
    await writeFile(join(dir(), 'tricopy.yaml'), `catalog: ./same.db\n${JOBS}`);
    const same = await tricopy(['catalog', 'copy', '--from', 'same.db'], opts());
    expect([same.code, same.stderr.trim()]).toEqual([
      2,
      "tricopy: --from same.db is the config's own catalog: point catalog: in the config at the new catalog first",
    ]);
  });
});

describe('tricopy catalog rebuild --from DEST into an empty PostgreSQL catalog', () => {
  it('imports the verified manifests of the destination, as into a SQLite one', async () => {
    await usePostgres();
    const rebuilt = await tricopyJson<{ imported: string[]; problems: string[] }>(
      ['catalog', 'rebuild', '--from', 'primary'],
      opts(),
    );
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const onPrimary = (await readdir(join(dir(), 'dest/primary'), { recursive: true }))
      .filter((file) => file.endsWith('/manifest.json'))
      .map((file) => file.split('/')[1]);
    expect(onPrimary.length).toBe(3); // app's two newest, shaky's
    expect(rebuilt.json.imported.sort()).toEqual(onPrimary.sort());
    expect(rebuilt.json.problems).toEqual([]);
  });
});
