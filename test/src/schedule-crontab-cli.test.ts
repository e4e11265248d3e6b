// schedule --print crontab, read line by line as cron reads it: every line a job runs in the system's time zone
// (Debian's cron 3.0pl1 ignores CRON_TZ; other crons would apply it to every later line), so a time-zoned job is
// left out with a reason, and a config whose ${VAR}s cron's bare environment lacks is warned about.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, tricopy, tricopyJson, type Workspace } from './cli.js';

const LAUNCHER = '/opt/tricopy/tricopy';

describe('schedule --print crontab on Debian cron', () => {
  let ws: Workspace;
  let config: string;
  beforeAll(async () => {
    ws = await makeWorkspace('schedule-crontab');
    config = await ws.writeConfig(`destinations:
  d: { type: local, path: ./d }
jobs:
  a-first:
    source: { type: sqlite, path: ./a.db }
    destinations: [d]
    schedule: "0 1 * * *"
  b-berlin:
    source: { type: postgres, user: app, database: shop, password: "\${PGPASSWORD_SHOP}" }
    destinations: [d]
    schedule: "30 2 * * 1-5"
    timezone: Europe/Berlin
  c-after:
    source: { type: sqlite, path: ./c.db }
    destinations: [d]
    schedule: "15 4 * * *"
  d-seconds:
    source: { type: sqlite, path: ./d.db }
    destinations: [d]
    schedule: "*/10 * * * * *"
`);
  });
  afterAll(() => ws.remove());

  const print = (args: string[] = []) =>
    tricopy([...args, 'schedule', '--print', 'crontab'], {
      cwd: ws.dir,
      env: { TRICOPY_LAUNCHER: LAUNCHER, PGPASSWORD_SHOP: 'x' },
    });

  it('writes one line per job cron runs as written, no CRON_TZ, and a comment for each job left out', async () => {
    const result = await print();
    expect(result.code, result.stderr).toBe(0);
    const command = `${LAUNCHER} --config ${config} --quiet backup`;
    expect(result.stdout.split('\n')).toEqual([
      '# tricopy: scheduled backups (install with: crontab -e, or a file in /etc/cron.d with a user field)',
      `0 1 * * * ${command} a-first`,
      expect.stringMatching(
        /^# job b-berlin is not here: its time zone Europe\/Berlin cannot be given to cron .*--print systemd/,
      ),
      `15 4 * * * ${command} c-after`,
      '# job d-seconds is not here: "*/10 * * * * *" has a seconds field, which cron lacks; use tricopy daemon',
    ]);
    expect(result.stdout).not.toMatch(/^\s*CRON_TZ/m);
    expect(result.stderr).toMatch(/^warning: job b-berlin: its time zone Europe\/Berlin cannot be given/m);
    expect(result.stderr).toMatch(/^warning: job d-seconds: /m);
  });

  it('the time-zoned job is in the systemd units, its time zone in OnCalendar', async () => {
    const result = await tricopy(['schedule', '--print', 'systemd'], {
      cwd: ws.dir,
      env: { TRICOPY_LAUNCHER: LAUNCHER, PGPASSWORD_SHOP: 'x' },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('OnCalendar=Mon..Fri *-*-* 02:30:00 Europe/Berlin');
  });

  it('warns that ${VAR}s need --env-file, and not once it is given', async () => {
    const without = await print();
    expect(without.stderr).toMatch(
      /^warning: the config uses \$\{PGPASSWORD_SHOP\}, which cron's and systemd's bare environment will not have: print the entries again with --env-file FILE/m,
    );
    const envFile = join(ws.dir, 'secrets.env');
    await writeFile(envFile, 'PGPASSWORD_SHOP=x\n', { mode: 0o600 });
    const withFile = await print(['--env-file', envFile]);
    expect(withFile.code, withFile.stderr).toBe(0);
    expect(withFile.stderr).not.toContain('--env-file FILE');
    expect(withFile.stdout).toContain(`--env-file ${envFile} --quiet backup a-first`);
  });

  it('--json carries the same warnings', async () => {
    const result = await tricopyJson<{ warnings: string[] }>(['schedule', '--print', 'crontab'], {
      cwd: ws.dir,
      env: { TRICOPY_LAUNCHER: LAUNCHER, PGPASSWORD_SHOP: 'x' },
    });
    expect(result.json.warnings).toEqual([
      expect.stringMatching(/^job b-berlin: its time zone/),
      expect.stringMatching(/^job d-seconds: /),
      expect.stringMatching(/^the config uses \$\{PGPASSWORD_SHOP\}/),
    ]);
  });
});
