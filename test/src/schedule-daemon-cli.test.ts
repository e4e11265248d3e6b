import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, REPO_ROOT, startTricopy, tricopy, type Workspace } from './cli.js';

const FILE_SOURCE = join(REPO_ROOT, 'packages/core/src/__fixtures__/file-source.mjs');
const SECRET = 'env-file-secret-42';

function config(jobs: string): string {
  return `
destinations:
  primary: { type: local, path: ./dest/primary, fsync: false }
jobs:
${jobs}
`;
}

const job = (name: string, schedule: string) => `  ${name}:
    source: { type: ${FILE_SOURCE}, path: ./data.sql, password: "\${DB_SECRET}" }
    destinations: [primary]
    compression: none
    schedule: "${schedule}"`;

describe('secrets for cron and systemd: --env-file', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await makeWorkspace('env-file');
    await mkdir(join(ws.dir, 'dest'));
    await writeFile(join(ws.dir, 'data.sql'), 'INSERT INTO t VALUES (1);\n'.repeat(10));
    await ws.writeConfig(config(job('nightly', '30 2 * * *')));
    await writeFile(join(ws.dir, 'secrets.env'), `# for tricopy\nDB_SECRET="${SECRET}"\n`, { mode: 0o644 });
  });
  afterAll(() => ws.remove());

  it('refuses an env file others can read, naming the fix', async () => {
    await chmod(join(ws.dir, 'secrets.env'), 0o644);
    const result = await tricopy(['schedule', '--print', 'crontab', '--env-file', 'secrets.env'], {
      cwd: ws.dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`mode 0644 lets others read or change the secrets in it: run chmod 600`);
  });

  it('the printed crontab line runs in a bare environment, the secret coming from the env file', async () => {
    await chmod(join(ws.dir, 'secrets.env'), 0o600);
    const cron = await tricopy(['schedule', '--print', 'crontab', '--env-file', 'secrets.env'], {
      cwd: ws.dir,
    });
    expect(cron.code, cron.stderr).toBe(0);
    const line = cron.stdout.split('\n').find((l) => l.startsWith('30 2 * * * ')) as string;
    expect(line).toContain(`--env-file ${join(ws.dir, 'secrets.env')}`);
    expect(cron.stdout).not.toContain(SECRET);

    // What cron would run: the command part of the line, through sh, with no environment at all, from /.
    const cronRun = (command: string) =>
      execa('sh', ['-c', command], { cwd: '/', env: {}, extendEnv: false, reject: false });
    const command = line.split(' ').slice(5).join(' ');
    const run = await cronRun(command);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    // The same line without the env file: the secret is unset and the job cannot run.
    const bare = await cronRun(command.replace(/ --env-file \S+/, ''));
    expect(bare.exitCode).not.toBe(0);
    expect(`${bare.stdout}${bare.stderr}`).toContain('DB_SECRET');

    const systemd = await tricopy(['schedule', '--print', 'systemd', '--env-file', 'secrets.env'], {
      cwd: ws.dir,
    });
    expect(systemd.stdout).toMatch(
      /ExecStart=.* --env-file \S+secrets\.env --log-format json backup nightly/,
    );
    const unit = await tricopy(['schedule', '--print', 'systemd-daemon', '--env-file', 'secrets.env'], {
      cwd: ws.dir,
    });
    expect(unit.stdout).toMatch(/ExecStart=.* --env-file \S+secrets\.env daemon/);
    expect(unit.stdout).toContain('ExecReload=/bin/kill -HUP $MAINPID');
  });
});

describe('the daemon reloads its config on SIGHUP', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await makeWorkspace('daemon-hup');
    await mkdir(join(ws.dir, 'dest'));
    await writeFile(join(ws.dir, 'data.sql'), 'x\n');
    await writeFile(join(ws.dir, 'secrets.env'), `DB_SECRET=${SECRET}\n`, { mode: 0o600 });
    await ws.writeConfig(config(job('nightly', '30 2 * * *')));
  });
  afterAll(() => ws.remove());

  it('applies a valid new config, keeps the old one (and says so) when the new one is invalid', async () => {
    const daemon = startTricopy(['daemon', '--env-file', 'secrets.env'], { cwd: ws.dir });
    const records: Record<string, unknown>[] = [];
    let buffered = '';
    daemon.stderr?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const part of parts) if (part.trim() !== '') records.push(JSON.parse(part));
    });
    const waitFor = async (match: (r: Record<string, unknown>) => boolean) => {
      for (let i = 0; i < 300 && !records.some(match); i++) await new Promise((r) => setTimeout(r, 100));
      expect(records.some(match), JSON.stringify(records, null, 1)).toBe(true);
    };
    await waitFor((r) => r.job === 'nightly' && r.schedule === '30 2 * * *');

    await ws.writeConfig('jobs: [this is: not valid');
    daemon.kill('SIGHUP');
    await waitFor((r) => r.event === 'reload-failed');
    expect(String(records.find((r) => r.event === 'reload-failed')?.msg)).toMatch(
      /reload failed, keeping the current config: /,
    );

    await ws.writeConfig(config([job('nightly', '45 3 * * *'), job('weekly', '0 4 * * 0')].join('\n')));
    daemon.kill('SIGHUP');
    await waitFor((r) => r.event === 'reloaded');
    await waitFor((r) => r.job === 'weekly' && r.schedule === '0 4 * * 0');
    await waitFor((r) => r.job === 'nightly' && r.schedule === '45 3 * * *');

    daemon.kill('SIGTERM');
    const result = await daemon;
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(records.at(-1)).toMatchObject({ event: 'stopped' });
    expect(JSON.stringify(records)).not.toContain(SECRET);
  });
});
