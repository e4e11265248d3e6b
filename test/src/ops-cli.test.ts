import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FIXTURES,
  filesUnder,
  makeWorkspace,
  REPO_ROOT,
  startTricopy,
  tricopy,
  tricopyJson,
  type Workspace,
} from './cli.js';

// A source plugin loaded by path: streams a file, or (hang: true) never ends its stream.
const FILE_SOURCE = join(REPO_ROOT, 'packages/core/src/__fixtures__/file-source.mjs');

interface PruneJson {
  dryRun: boolean;
  ok: boolean;
  jobs: {
    job: string;
    skipped?: string;
    destinations: { destination: string; removed: { backupId: string; status: string }[]; kept: unknown[] }[];
  }[];
}

describe('retention through the CLI: prune, dry run, confirm', () => {
  let ws: Workspace;
  const ids: string[] = [];

  beforeAll(async () => {
    ws = await makeWorkspace('ops-prune');
    await mkdir(join(ws.dir, 'dest'));
    await copyFile(join(FIXTURES, 'chinook/Chinook_Sqlite.sqlite'), join(ws.dir, 'app.db'));
    await ws.writeConfig(`
destinations:
  primary: { type: local, path: ./dest/primary }
  usb: { type: local, path: ./dest/usb, media: removable }
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary, usb]
    retention: { keepLast: 2 }
`);
    for (let i = 0; i < 4; i++) {
      const backup = await tricopyJson<{ runs: { backupId: string; status: string; compression: string }[] }>(
        ['backup'],
        { cwd: ws.dir },
      );
      expect(backup.code, backup.stderr).toBe(0);
      expect(backup.json.runs[0]?.compression).toBe('zstd'); // auto → zstd
      ids.push(backup.json.runs[0]?.backupId as string);
    }
  });
  afterAll(() => ws.remove());

  it('--dry-run prints exactly what would go on each destination and removes nothing', async () => {
    const before = await filesUnder(join(ws.dir, 'dest'));
    const dry = await tricopyJson<PruneJson>(['prune', '--dry-run'], { cwd: ws.dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json.dryRun).toBe(true);
    for (const d of dry.json.jobs[0]?.destinations ?? []) {
      expect(d.removed.map((r) => [r.backupId, r.status])).toEqual([
        [ids[1], 'would-delete'],
        [ids[0], 'would-delete'],
      ]);
    }
    const human = await tricopy(['prune', '--dry-run'], { cwd: ws.dir });
    expect(human.stdout).toContain('job app on primary: keep 2, would remove 2');
    expect(human.stdout).toContain('job app on usb: keep 2, would remove 2');
    expect(human.stdout).toContain(`- ${ids[0]}  app/${ids[0]}/app.sqlite.zst`);
    expect(human.stdout).toContain('dry run: nothing was removed');
    expect(await filesUnder(join(ws.dir, 'dest'))).toEqual(before);
  });

  it('prune removes artifact and manifest on every destination and records it', async () => {
    const pruned = await tricopyJson<PruneJson>(['prune', '--job', 'app'], { cwd: ws.dir });
    expect(pruned.code, pruned.stderr).toBe(0);
    for (const destination of ['primary', 'usb']) {
      expect(await filesUnder(join(ws.dir, 'dest', destination))).toEqual(
        ids
          .slice(2)
          .flatMap((id) => [`app/${id}/app.sqlite.zst`, `app/${id}/manifest.json`])
          .sort(),
      );
    }
    const list = await tricopyJson<{ backups: { backupId: string; copies: { status: string }[] }[] }>(
      ['list'],
      {
        cwd: ws.dir,
      },
    );
    const old = list.json.backups.find((b) => b.backupId === ids[0]);
    expect(old?.copies.map((c) => c.status)).toEqual(['deleted', 'deleted']);
  });

  it('a much smaller dump is flagged in the summary, --json and restore, and blocks prune (exit 3) until `tricopy confirm`', async () => {
    // The database is replaced by a nearly empty one: the next dump is a fraction of the previous ones.
    await rm(join(ws.dir, 'app.db'));
    const db = new Database(join(ws.dir, 'app.db'));
    db.exec('CREATE TABLE t (x INTEGER)');
    db.close();
    const table = await tricopy(['backup'], { cwd: ws.dir });
    expect(table.code, table.stderr).toBe(3);
    expect(table.stdout).toMatch(/app +OK FLAGGED!/);
    expect(table.stdout).toMatch(/app: flagged: .*tricopy confirm /);
    // Back to the full database, then emptied again: flagged again, now seen through --json.
    const firstSmall = /tricopy confirm (\S+)/.exec(table.stdout)?.[1] as string;
    expect((await tricopy(['confirm', firstSmall], { cwd: ws.dir })).code).toBe(0);
    await copyFile(join(FIXTURES, 'chinook/Chinook_Sqlite.sqlite'), join(ws.dir, 'app.db'));
    const full = await tricopyJson<{ runs: { backupId: string }[] }>(['backup'], { cwd: ws.dir });
    expect(full.code, full.stderr).toBe(0);
    const fullId = full.json.runs[0]?.backupId as string;
    await rm(join(ws.dir, 'app.db'));
    const empty = new Database(join(ws.dir, 'app.db'));
    empty.exec('CREATE TABLE t (x INTEGER)');
    empty.close();
    const small = await tricopyJson<{ status: string; runs: { backupId: string; flagged: string | null }[] }>(
      ['backup'],
      { cwd: ws.dir },
    );
    // Exit 3: every copy is good, but the content needs a look (see the README's exit codes).
    expect(small.code, small.stderr).toBe(3);
    expect(small.json.status).toBe('ok');
    expect(small.json.runs[0]?.flagged).toMatch(/% of the previous backup .* below shrinkThreshold 0\.5/);
    const smallId = small.json.runs[0]?.backupId as string;
    expect(small.stderr).toContain(`tricopy confirm ${smallId}`);

    const restored = await tricopy(['restore', '--latest', '--job', 'app', '--to', join(ws.dir, 'r.db')], {
      cwd: ws.dir,
    });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toContain(`backup ${smallId} is flagged as anomalous`);
    expect(restored.stderr).toContain(`the newest unflagged backup of job app is ${fullId}`);
    expect(restored.stdout).toContain('(flagged as anomalous:');

    const blocked = await tricopy(['prune'], { cwd: ws.dir });
    expect(blocked.code).toBe(3);
    expect(blocked.stdout).toContain(`job app: not pruned: backup ${smallId} is flagged`);
    expect(blocked.stdout).toContain(`tricopy confirm ${smallId}`);

    const confirm = await tricopy(['confirm', smallId], { cwd: ws.dir });
    expect(confirm.code, confirm.stderr).toBe(0);
    expect(confirm.stdout).toContain(`backup ${smallId} confirmed`);
    const after = await tricopyJson<PruneJson>(['prune'], { cwd: ws.dir });
    expect(after.code).toBe(0);
    expect(after.json.jobs[0]?.destinations[0]?.removed.map((r) => r.backupId).sort()).toEqual(
      [ids[2], ids[3], firstSmall].sort(),
    );
  });

  it('confirm of an unknown backup is a usage error', async () => {
    const result = await tricopy(['confirm', '20990101T000000Z-000000'], { cwd: ws.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no backup with id 20990101T000000Z-000000');
  });
});

describe('the daemon, locks and timeouts through the CLI', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await makeWorkspace('ops-daemon');
    await mkdir(join(ws.dir, 'dest'));
    await writeFile(join(ws.dir, 'data.sql'), 'INSERT INTO t VALUES (1);\n'.repeat(100));
    await ws.writeConfig(`
destinations:
  primary: { type: local, path: ./dest/primary }
jobs:
  hung:
    source: { type: ${FILE_SOURCE}, path: ./data.sql, hang: true }
    destinations: [primary]
    schedule: "* * * * * *"
    timeout: 10m
  quick:
    source: { type: ${FILE_SOURCE}, path: ./data.sql, hang: true }
    destinations: [primary]
    timeout: 1s
  nightly:
    source: { type: ${FILE_SOURCE}, path: ./data.sql }
    destinations: [primary]
    schedule: "30 2 * * 1-5"
    timezone: Europe/Berlin
`);
  });
  afterAll(() => ws.remove());

  it('a job timeout kills a hung dump and fails the run (exit 1)', async () => {
    const result = await tricopy(['backup', 'quick'], { cwd: ws.dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('job "quick" timed out after 1000 ms');
    expect(await filesUnder(join(ws.dir, 'dest'))).toEqual([]);
  });

  it('runs jobs on schedule with JSON logs, refuses a second run of a running job, stops cleanly on SIGTERM', async () => {
    const daemon = startTricopy(['daemon'], { cwd: ws.dir });
    const lines: string[] = [];
    let buffered = '';
    daemon.stderr?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      lines.push(...parts);
    });
    // Wait (without timing assertions) until the hung job has started.
    for (let i = 0; i < 200 && !lines.some((l) => l.includes('"event":"job-start"')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(
      lines.some((l) => l.includes('"event":"job-start"')),
      lines.join('\n'),
    ).toBe(true);

    // The same job from another process is refused while the daemon runs it.
    const second = await tricopyJson<{ runs: { status: string; error: string }[] }>(['backup', 'hung'], {
      cwd: ws.dir,
    });
    expect(second.code).toBe(1);
    expect(second.json.runs[0]?.error).toMatch(
      /job "hung" is being backed up by pid \d+ since .*; try again when it ends \(lock file /,
    );

    daemon.kill('SIGTERM');
    const result = await daemon;
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const records = lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.every((r) => typeof r.time === 'string' && typeof r.msg === 'string')).toBe(true);
    expect(records.find((r) => r.job === 'nightly' && typeof r.schedule === 'string')).toMatchObject({
      schedule: '30 2 * * 1-5',
    });
    const done = records.find((r) => r.event === 'job-done' && r.job === 'hung');
    expect(done).toMatchObject({ status: 'failed' });
    expect(String(done?.error)).toContain('interrupted by SIGTERM');
    expect(records.at(-1)).toMatchObject({ event: 'stopped' });
    // Nothing half-written under a final name.
    expect(await filesUnder(join(ws.dir, 'dest'))).toEqual([]);
    const list = await tricopyJson<{ backups: { job: string; status: string }[] }>(
      ['list', '--job', 'hung'],
      {
        cwd: ws.dir,
      },
    );
    expect(list.json.backups.length).toBeGreaterThan(0);
    expect(list.json.backups.every((b) => b.status === 'failed')).toBe(true);
  });

  it('schedule --print crontab|systemd|systemd-daemon prints ready entries', async () => {
    const cron = await tricopy(['schedule', '--print', 'crontab'], { cwd: ws.dir });
    expect(cron.code, cron.stderr).toBe(0);
    expect(cron.stdout).toContain(
      '# job nightly is not here: its time zone Europe/Berlin cannot be given to cron',
    );
    expect(cron.stdout).not.toMatch(/^\s*CRON_TZ/m);
    expect(cron.stderr).toContain('job hung: "* * * * * *" has a seconds field');

    const systemd = await tricopy(['schedule', '--print', 'systemd'], { cwd: ws.dir });
    expect(systemd.code).toBe(0);
    expect(systemd.stdout).toContain('# /etc/systemd/system/tricopy-nightly.timer');
    expect(systemd.stdout).toContain('OnCalendar=Mon..Fri *-*-* 02:30:00 Europe/Berlin');
    expect(systemd.stdout).toMatch(/ExecStart=.* --log-format json backup nightly/);
    expect(systemd.stderr).toContain('job hung:');

    const unit = await tricopy(['schedule', '--print', 'systemd-daemon'], { cwd: ws.dir });
    expect(unit.stdout).toMatch(/ExecStart=.*bin\.js --config .*tricopy\.yaml daemon/);
    expect(unit.stdout).toContain('KillSignal=SIGTERM');

    const bad = await tricopy(['schedule', '--print', 'launchd'], { cwd: ws.dir });
    expect(bad.code).toBe(2);
  });
});

describe('notifications and zstd restore through the CLI', () => {
  let ws: Workspace;
  let server: Server;
  let base = '';
  const received: { url: string; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        received.push({ url: req.url ?? '', body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    ws = await makeWorkspace('ops-notify');
    await mkdir(join(ws.dir, 'dest'));
    await writeFile(join(ws.dir, 'dest', 'usb'), 'a file where the usb folder should be');
    await copyFile(join(FIXTURES, 'chinook/Chinook_Sqlite.sqlite'), join(ws.dir, 'app.db'));
    await ws.writeConfig(`
destinations:
  primary: { type: local, path: ./dest/primary }
  usb: { type: local, path: ./dest/usb, media: removable }
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary, usb]
    compression: zstd
    compressionLevel: 5
notify:
  - { type: webhook, url: "${base}/hook" }
  - { type: healthcheck, url: "${base}/ping/uuid" }
`);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await ws.remove();
  });

  it('a degraded backup posts a webhook and pings /fail; the zstd copy restores', async () => {
    const backup = await tricopyJson<{ runs: { backupId: string; status: string }[] }>(['backup'], {
      cwd: ws.dir,
    });
    expect(backup.code).toBe(3);
    expect(received.map((r) => r.url)).toEqual(
      expect.arrayContaining(['/ping/uuid/start', '/hook', '/ping/uuid/fail']),
    );
    const hook = JSON.parse(received.find((r) => r.url === '/hook')?.body ?? '{}');
    expect(hook).toMatchObject({ job: 'app', status: 'degraded', backupId: backup.json.runs[0]?.backupId });
    expect(hook.text).toContain('DEGRADED');

    const restored = await tricopy(['restore', '--latest', '--job', 'app', '--to', './restored.db'], {
      cwd: ws.dir,
    });
    expect(restored.code, restored.stderr).toBe(0);
    const db = new Database(join(ws.dir, 'restored.db'), { readonly: true });
    try {
      expect((db.prepare('SELECT COUNT(*) AS n FROM Track').get() as { n: number }).n).toBe(3503);
    } finally {
      db.close();
    }
  });
});
