// A job's assertions run on every restore test's scratch database: a `sameAsBackup` one compares with the value the
// backup recorded; a failed one fails `verify --restore-test`, names its query and value, and notifies.
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupJson, makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';
import { postgresSource } from './server-configs.js';

let pg: PostgresServer;
let ws: Workspace;
let hooks: Server;
const received: Record<string, unknown>[] = [];
const run = () => ({ cwd: ws.dir, env: { PGPASS_TEST: pg.password } });

const PASSING = `
      - { name: orders-exist, sql: "SELECT count(*) FROM orders", expect: "> 0" }
      - { name: canary, sql: "SELECT 1 FROM sentinel WHERE name = 'canary'", exists: true }
      - { name: order-total, sql: "SELECT sum(amount) FROM orders", sameAsBackup: true }`;
const FAILING = `
      - { name: big-orders, sql: "SELECT count(*) FROM orders WHERE amount > 1000", expect: ">= 1" }`;

async function writeConfig(assertions: string, drill = ''): Promise<void> {
  const port = (hooks.address() as AddressInfo).port;
  await ws.writeConfig(`
destinations:
  primary: { type: local, path: ./dest/primary }
jobs:
  shop:
    source:
${postgresSource(pg, 'shop', { settings: { binDir: pg.binDir } })}
    destinations: [primary]
    notify:
      - { type: webhook, url: "http://127.0.0.1:${port}/hook" }
    assertions:${assertions}${drill}
`);
}

interface VerifyJson {
  ok: boolean;
  restoreTests: {
    status: string;
    error?: string;
    assertions?: { name: string; sql: string; value: string | null; ok: boolean }[];
  }[];
}

beforeAll(async () => {
  [pg, ws] = await Promise.all([startPostgres(), makeWorkspace('assertions-cli')]);
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  await mkdir(join(ws.dir, 'dest'));
  await pg.createDatabase('shop');
  await pg.sql(
    'shop',
    `CREATE TABLE orders (id int PRIMARY KEY, amount numeric(10, 2));
     INSERT INTO orders SELECT i, i * 1.5 FROM generate_series(1, 40) i;
     CREATE TABLE sentinel (name text); INSERT INTO sentinel VALUES ('canary');
     CREATE TABLE customers (id int PRIMARY KEY, email text);
     INSERT INTO customers SELECT i, 'person' || i || '@real.example' FROM generate_series(1, 5) i;`,
  );
}, 60_000);
afterAll(async () => {
  await new Promise<void>((resolve) => hooks?.close(() => resolve()));
  await pg?.stop();
  await ws?.remove();
});

describe('assertions in restore tests (PostgreSQL, built CLI)', () => {
  it('pass on the restored copy, the sameAsBackup one with the value recorded at backup time', async () => {
    await writeConfig(PASSING);
    const backup = await tricopyJson<BackupJson>(['backup', 'shop'], run());
    expect(backup.code, backup.stderr).toBe(0);
    // Changed after the backup: the restored copy must still hold the backup's total.
    await pg.sql('shop', 'UPDATE orders SET amount = amount * 2');
    const verified = await tricopyJson<VerifyJson>(
      ['verify', '--latest', '--job', 'shop', '--restore-test', '--json'],
      run(),
    );
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.json.restoreTests[0]?.status).toBe('ok');
    expect(verified.json.restoreTests[0]?.assertions?.map((a) => [a.name, a.value, a.ok])).toEqual([
      ['orders-exist', '40', true],
      ['canary', '1', true],
      ['order-total', '1230.00', true],
    ]);
    expect(received).toEqual([]);
  });

  it('one that fails fails the restore test, naming its query and value, and the webhook says which query', async () => {
    await writeConfig(PASSING + FAILING);
    const verified = await tricopyJson<VerifyJson>(
      ['verify', '--latest', '--job', 'shop', '--restore-test', '--json'],
      run(),
    );
    expect(verified.code).not.toBe(0);
    const test = verified.json.restoreTests[0];
    expect(test?.status).toBe('failed');
    expect(test?.error).toBe(
      'assertion "big-orders" failed: SELECT count(*) FROM orders WHERE amount > 1000 returned "0", expected >= 1',
    );
    const hook = received.find((r) => r.event === 'restore-test');
    expect(hook?.text).toContain('SELECT count(*) FROM orders WHERE amount > 1000 returned "0"');
    expect(hook).toMatchObject({ job: 'shop', status: 'failed', destination: 'primary' });

    const text = await tricopy(['verify', '--latest', '--job', 'shop', '--restore-test'], run());
    expect(text.stdout).toContain('restore test of');
    expect(text.stdout).toContain('failed: assertion "big-orders" failed: SELECT count(*)');
  });

  it('a malformed assertion is a config error naming its key', async () => {
    await writeConfig(`
      - { name: bad, sql: "SELECT 1", expect: "more than 3" }`);
    const checked = await tricopy(['check'], run());
    expect(checked.code).toBe(2);
    expect(checked.stderr).toContain('jobs.shop.assertions[0].expect: expected an operator');
  });
});

const DRILL = (database: string) => `
    drill:
      target: { database: ${database} }
      postRestoreSql:
        - "UPDATE customers SET email = 'customer' || id || '@example.invalid'"`;
const ANONYMISED = `
      - { name: anonymised, sql: "SELECT count(*) FROM customers WHERE email LIKE '%@real.example'", expect: "= 0" }`;

interface DrillJson {
  status: string;
  target: string;
  destination: string | null;
  error?: string;
  assertions: { name: string; value: string | null; ok: boolean }[];
}

function drillRows(): { status: string; destination: string | null; detail: string }[] {
  const db = new Database(join(ws.dir, '.tricopy/catalog.db'), { readonly: true });
  try {
    return db
      .prepare("SELECT status, destination, detail FROM verifications WHERE level = 'drill' ORDER BY id")
      .all() as { status: string; destination: string | null; detail: string }[];
  } finally {
    db.close();
  }
}

describe('restore drills (PostgreSQL, built CLI)', () => {
  it('a drill into a second database runs its post-restore SQL, then the assertions, and is recorded', async () => {
    await writeConfig(PASSING + ANONYMISED, DRILL('staging'));
    for (const round of [1, 2]) {
      // The second round replaces the staging database the first one left.
      const drilled = await tricopyJson<DrillJson>(['drill', 'shop', '--json'], run());
      expect(drilled.code, drilled.stderr).toBe(0);
      expect(drilled.json).toMatchObject({ status: 'ok', target: 'staging', destination: 'primary' });
      expect(drilled.json.assertions.map((a) => [a.name, a.value, a.ok])).toEqual([
        ['orders-exist', '40', true],
        ['canary', '1', true],
        ['order-total', '1230.00', true],
        ['anonymised', '0', true],
      ]);
      expect(drillRows()).toHaveLength(round);
    }
    expect(await pg.sql('staging', "SELECT string_agg(email, ',' ORDER BY id) FROM customers")).toBe(
      [1, 2, 3, 4, 5].map((i) => `customer${i}@example.invalid`).join(','),
    );
    expect(await pg.sql('shop', "SELECT count(*) FROM customers WHERE email LIKE '%@real.example'")).toBe(
      '5',
    );
    const [row] = drillRows();
    expect(row?.status).toBe('ok');
    expect(row?.destination).toBe('primary');
    expect(JSON.parse(row?.detail ?? '{}')).toMatchObject({
      target: 'staging',
      durationMs: expect.any(Number),
      assertions: expect.arrayContaining([
        { name: 'anonymised', sql: expect.any(String), value: '0', ok: true },
      ]),
      error: null,
    });
    // The evidence report shows the drills as recorded.
    const report = await tricopyJson<{
      jobs: { job: string; drills: { target: string; passed: boolean; assertions: { name: string }[] }[] }[];
    }>(['report', '--since', '1d', '--format', 'json'], run());
    expect(report.code, report.stderr).toBe(0);
    const drills = report.json.jobs.find((j) => j.job === 'shop')?.drills ?? [];
    expect(drills.map((d) => [d.target, d.passed, d.assertions.length])).toEqual([
      ['staging', true, 4],
      ['staging', true, 4],
    ]);
  });

  it("a failed assertion fails the drill and notifies; the job's own database is refused as a target", async () => {
    await writeConfig(PASSING + FAILING, DRILL('staging'));
    const failed = await tricopyJson<DrillJson>(['drill', 'shop', '--json'], run());
    expect(failed.code).toBe(1);
    expect(failed.json.error).toContain('assertion "big-orders" failed');
    const hook = received.find((r) => r.event === 'drill');
    expect(hook?.text).toContain('SELECT count(*) FROM orders WHERE amount > 1000 returned "0"');

    await writeConfig(PASSING, DRILL('shop'));
    const own = await tricopy(['drill', 'shop'], run());
    expect(own.code).toBe(1);
    expect(own.stdout).toContain(
      'refusing to restore into database "shop", the very database this job backs up',
    );
    expect(await pg.sql('shop', 'SELECT count(*) FROM customers')).toBe('5');
    expect(drillRows().at(-1)?.status).toBe('failed');
  });
});
