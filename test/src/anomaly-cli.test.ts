// Anomaly alerts against a real PostgreSQL: a table that lost most of its rows, or disappeared, between two backups
// flags the second backup naming the table, in `backup`, its --json, the notification and the metrics; prune waits
// for `tricopy confirm`.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tricopy/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupJson, makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';
import { postgresSource } from './server-configs.js';

type FlaggedJson = BackupJson & { runs: { flagged: string | null }[] };

let pg: PostgresServer;
let ws: Workspace;
let identity: string;
const run = (env: Record<string, string> = {}) => ({
  cwd: ws.dir,
  env: { PGPASS_TEST: pg.password, ...env },
});
const backup = (job = 'shop', env: Record<string, string> = {}) =>
  tricopyJson<FlaggedJson>(['backup', job, '--json'], run(env));
const notes = async () =>
  (await readFile(join(ws.dir, 'notes.jsonl'), 'utf8').catch(() => ''))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { event: string; backupId: string; flagged: string | null });
const flaggedGauge = async () => {
  const metrics = await tricopy(['metrics'], run());
  return /^tricopy_backup_flagged\{job="shop"\} (\d+)$/m.exec(metrics.stdout)?.[1];
};

beforeAll(async () => {
  [pg, ws] = await Promise.all([startPostgres(), makeWorkspace('anomaly')]);
  await mkdir(join(ws.dir, 'dest'));
  await pg.sql('postgres', 'CREATE DATABASE shop;');
  await pg.sql(
    'shop',
    `CREATE TABLE orders (id int PRIMARY KEY, note text);
     INSERT INTO orders SELECT i, md5(i::text) FROM generate_series(1, 10000) i;
     CREATE TABLE customers (id int PRIMARY KEY);
     INSERT INTO customers SELECT generate_series(1, 200);`,
  );
  await pg.sql('postgres', 'CREATE DATABASE vault;');
  await pg.sql(
    'vault',
    'CREATE TABLE ledger (id int PRIMARY KEY, note text); INSERT INTO ledger SELECT i, md5(i::text) FROM generate_series(1, 1000) i;',
  );
  identity = join(ws.dir, 'identity.txt');
  execFileSync('age-keygen', ['-o', identity], { stdio: 'ignore' });
  const recipient = execFileSync('age-keygen', ['-y', identity], { encoding: 'utf8' }).trim();
  await ws.writeConfig(`
destinations:
  primary: { type: local, path: ./dest/primary }
jobs:
  shop:
    source:
${postgresSource(pg, 'shop')}
    destinations: [primary]
    retention: { keepLast: 1 }
    anomalies: { tableShrink: 50%, sizeShrink: 95% }
    notify:
      - type: command
        command: [sh, -c, 'cat >> notes.jsonl && echo >> notes.jsonl']
  vault:
    source:
${postgresSource(pg, 'vault')}
    destinations: [primary]
    encryption: { recipients: [${recipient}] }
    anomalies: { sizeShrink: 99% }
`);
}, 120_000);
afterAll(async () => {
  await pg?.stop();
  await ws?.remove();
});

describe('anomaly alerts between two backups of a PostgreSQL database', () => {
  it('deleting 90% of a table flags the next backup naming it, until `tricopy confirm`', async () => {
    const first = await backup();
    expect(first.code, first.stderr).toBe(0);
    expect(first.json.runs[0]?.flagged).toBeNull();

    await pg.sql('shop', 'DELETE FROM orders WHERE id > 1000;');
    const second = await backup();
    const id = second.json.runs[0]?.backupId as string;
    const reason = `table public.orders lost 90.0% of its rows (10000 → 1000 since backup ${first.json.runs[0]?.backupId}), above tableShrink 50%`;
    expect(second.code, second.stderr).toBe(3);
    expect(second.json.runs[0]?.status).toBe('ok');
    expect(second.json.runs[0]?.flagged).toBe(reason);
    expect(second.stderr).toContain(`tricopy confirm ${id}`);
    const notified = (await notes()).find((n) => n.backupId === id);
    expect(notified).toMatchObject({ event: 'degraded', flagged: reason });
    expect(await flaggedGauge()).toBe('1');

    const blocked = await tricopy(['prune'], run());
    expect(blocked.code).toBe(3);
    expect(blocked.stdout).toContain(`backup ${id} is flagged (${reason})`);

    const confirmed = await tricopy(['confirm', id], run());
    expect(confirmed.code, confirmed.stderr).toBe(0);
    expect(await flaggedGauge()).toBe('0');
    expect((await tricopy(['prune'], run())).code).toBe(0);
  });

  it('a table that disappeared flags the backup in its table output; a steady one does not', async () => {
    const steady = await backup();
    expect(steady.code, steady.stderr).toBe(0);
    expect(steady.json.runs[0]?.flagged).toBeNull();

    await pg.sql('shop', 'DROP TABLE customers;');
    const dropped = await tricopy(['backup', 'shop'], run());
    expect(dropped.code, dropped.stderr).toBe(3);
    expect(dropped.stdout).toMatch(/shop +OK FLAGGED!/);
    expect(dropped.stdout).toMatch(
      /shop: flagged: table public\.customers disappeared \(200 rows in backup \S+\); pruning of shop is blocked .* tricopy confirm /,
    );
  });

  it('compares the sealed table counts of encrypted backups only with an identity file', async () => {
    const withIdentity = { TRICOPY_IDENTITY_FILE: identity };
    const first = await backup('vault');
    expect(first.code, first.stderr).toBe(0);
    await pg.sql('vault', 'DELETE FROM ledger WHERE id > 100;');
    const blind = await backup('vault');
    expect(blind.code, blind.stderr).toBe(0);
    expect(blind.json.runs[0]?.flagged).toBeNull();

    await pg.sql('vault', 'INSERT INTO ledger SELECT i, md5(i::text) FROM generate_series(101, 1000) i;');
    expect((await backup('vault', withIdentity)).code).toBe(0);
    await pg.sql('vault', 'DELETE FROM ledger WHERE id > 100;');
    const seen = await backup('vault', withIdentity);
    expect(seen.code, seen.stderr).toBe(3);
    expect(seen.json.runs[0]?.flagged).toMatch(
      /^table public\.ledger lost 90\.0% of its rows \(1000 → 100 since /,
    );
  });
});
