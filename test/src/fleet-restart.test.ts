// Fleet mode through the real CLI: the catalog's PostgreSQL restarts while a worker is in the middle of a backup.
// The run loses its catalog lock through no fault of its own: it is retried, and `enqueue --wait` sees it succeed.
import { spawnSync } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, REPO_ROOT, tricopyJson, type Workspace } from './cli.js';
import { type Running, startLogged, until } from './fleet-cli.js';

const FILE_SOURCE = join(REPO_ROOT, 'packages/core/src/__fixtures__/file-source.mjs');

interface EnqueueJson {
  status: string;
  runs: { job: string; state: string; output?: { status: string } }[];
}
interface ListJson {
  backups: { job: string; status: string; error: string | null }[];
}

let pg: PostgresServer | undefined;
let ws: Workspace | undefined;
let worker: Running | undefined;
let fifo = '';
const env = () => ({ PGPASS_TEST: (pg as PostgresServer).password });
const run = () => ({ cwd: (ws as Workspace).dir, env: env() });

beforeAll(async () => {
  const [server, w] = await Promise.all([startPostgres(), makeWorkspace('fleet-restart')]);
  pg = server;
  ws = w;
  await pg.createDatabase('catalog');
  await mkdir(join(ws.dir, 'dest'));
  // The job's source reads a FIFO: its backup is in flight until the test writes the dump and closes it.
  fifo = join(ws.dir, 'dump.fifo');
  spawnSync('mkfifo', [fifo]);
  await ws.writeConfig(`
catalog: postgres://${pg.user}:\${PGPASS_TEST}@${pg.host}:${pg.port}/catalog
fleet: { heartbeat: 10s }
destinations:
  primary: { type: local, path: ./dest/primary, fsync: false }
jobs:
  app:
    source: { type: ${FILE_SOURCE}, path: ${fifo} }
    destinations: [primary]
workDir: ./work
policy: { copies: 1, media: 1, offsite: 0 }
`);
}, 120_000);

afterAll(async () => {
  worker?.child.kill('SIGKILL');
  await worker?.child;
  await pg?.stop();
  await ws?.remove();
});

/** Resolves once a backup opens the FIFO to read it, or undefined if `ended` settles first. */
async function nextReader(ended: Promise<unknown>): Promise<Awaited<ReturnType<typeof open>> | undefined> {
  const writer = open(fifo, 'w');
  const first = await Promise.race([writer, ended.then(() => undefined)]);
  if (first !== undefined) return first;
  // Nobody will read: open the FIFO for reading ourselves so the pending open returns, then drop both ends.
  const unblock = await open(fifo, 'r+');
  await (await writer).close();
  await unblock.close();
  return undefined;
}

describe('fleet: the catalog database restarts during a run', () => {
  it('the run that lost its catalog lock is retried, and enqueue --wait reports it ok', {
    timeout: 180_000,
  }, async () => {
    const server = pg as PostgresServer;
    worker = startLogged(['worker', '--concurrency', '1'], run());
    const waiting = tricopyJson<EnqueueJson>(['enqueue', '--wait', 'app'], run());

    const first = await nextReader(waiting);
    expect(first, 'the first attempt never read its source').toBeDefined();
    // Fast shutdown ends every session at once, the lock's among them; the restart returns once it accepts again.
    await server.restart();
    // The source ends (a FIFO read cannot be interrupted): the run stops on its lost lock.
    await first?.close();
    const lost = () => (worker as Running).log.some((line) => line.includes('was lost'));
    await until('the worker reports its catalog lock lost', lost, 60_000).catch((e) => {
      console.log((worker as Running).log.join('\n'));
      throw e;
    });

    const retry = await nextReader(waiting);
    if (retry === undefined) console.log(JSON.stringify(await waiting), (worker as Running).log.join('\n'));
    expect(retry, 'the run was not retried').toBeDefined();
    await retry?.write('the dump\n');
    await retry?.close();

    const result = await waiting;
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.json.status).toBe('ok');
    expect(result.json.runs[0]).toMatchObject({ job: 'app', state: 'completed', output: { status: 'ok' } });
    const listed = await tricopyJson<ListJson>(['list', '--all'], run());
    expect(listed.json.backups.filter((b) => b.status === 'ok')).toHaveLength(1);
  });
});
