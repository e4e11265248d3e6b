import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, REPO_ROOT, type Workspace } from './cli.js';

const LAUNCHER = join(REPO_ROOT, 'tricopy');

/** Runs ./tricopy as a user's shell would, with only a PATH whose `node` may be older than tricopy needs. */
function launch(args: readonly string[], cwd: string) {
  return execa(LAUNCHER, args, {
    cwd,
    env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
}

describe('the ./tricopy launcher', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await makeWorkspace('launcher');
    await ws.writeConfig(`
destinations:
  primary: { type: local, path: ./d }
jobs:
  nightly:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary]
    schedule: "30 2 * * *"
`);
  });
  afterAll(() => ws.remove());

  it('runs the CLI on the Node that setup chose, whatever node PATH finds', async () => {
    const chosen = (await readFile(join(REPO_ROOT, '.tools/node-bin'), 'utf8')).trim();
    const result = await launch(['--version'], ws.dir);
    expect(result.exitCode, result.stderr).toBe(0);
    const version = await execa(chosen, ['-p', 'process.versions.node']);
    const [major = 0, minor = 0] = version.stdout.split('.').map(Number);
    expect(major > 22 || (major === 22 && minor >= 12), version.stdout).toBe(true);
  });

  it('is what schedule --print writes into crontab lines and systemd units', async () => {
    const cron = await launch(['schedule', '--print', 'crontab'], ws.dir);
    expect(cron.exitCode, cron.stderr).toBe(0);
    expect(cron.stdout).toContain(
      `30 2 * * * ${LAUNCHER} --config ${join(ws.dir, 'tricopy.yaml')} --quiet backup nightly`,
    );
    const unit = await launch(['schedule', '--print', 'systemd-daemon'], ws.dir);
    expect(unit.stdout).toContain(`ExecStart=${LAUNCHER} --config ${join(ws.dir, 'tricopy.yaml')} daemon`);
  });
});
