// schedule --print with paths holding what cron and systemd would interpret: the printed entries must run exactly
// the words tricopy means, and what neither can carry (a newline) is refused.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, tricopy, type Workspace } from './cli.js';

const NASTY = `a b 'q' "d" 50% $HOME \\x \\%`;
const CONFIG = `destinations:
  d: { type: local, path: ./d }
jobs:
  nightly:
    source: { type: sqlite, path: ./app.db }
    destinations: [d]
    schedule: "30 2 * * *"
`;

/**
 * What cron hands `sh -c` for the command part of a crontab line: vixie cron's do_command loop (crontab(5)): `\%`
 * becomes `%`, any other backslash stays, and the first unescaped `%` ends the command (the rest is stdin).
 */
function cronToShell(command: string): string {
  let out = '';
  let escaped = false;
  for (const ch of command) {
    if (escaped) {
      out = ch === '%' ? `${out.slice(0, -1)}%` : out + ch;
      escaped = false;
    } else if (ch === '\\') {
      out += ch;
      escaped = true;
    } else if (ch === '%') {
      return out;
    } else out += ch;
  }
  return out;
}

describe('schedule --print escapes what cron and systemd interpret', () => {
  let ws: Workspace;
  let folder: string;
  let launcher: string;
  beforeAll(async () => {
    ws = await makeWorkspace('schedule-quoting');
    folder = join(ws.dir, NASTY);
    await mkdir(folder);
    await writeFile(join(folder, 'tricopy.yaml'), CONFIG);
    // A launcher (at a path with a space, % and $) that prints the arguments it was given, one per line.
    await mkdir(join(ws.dir, 'bin 100% $x'));
    launcher = join(ws.dir, 'bin 100% $x', 'tricopy');
    await writeFile(launcher, '#!/bin/sh\nprintf "%s\\n" "$@"\n');
    await chmod(launcher, 0o755);
  });
  afterAll(() => ws.remove());

  const print = (format: string, configDir = folder) =>
    tricopy(['schedule', '--print', format, '--config', join(configDir, 'tricopy.yaml')], {
      cwd: ws.dir,
      env: { TRICOPY_LAUNCHER: launcher },
    });

  it('a crontab line runs, through cron and sh, exactly the words meant', async () => {
    const result = await print('crontab');
    expect(result.code, result.stderr).toBe(0);
    const line = result.stdout.split('\n').find((l) => l.startsWith('30 2 * * * ')) as string;
    expect(line).toBeDefined();
    const run = await execa('sh', ['-c', cronToShell(line.slice('30 2 * * * '.length))], {
      env: {},
      extendEnv: false,
    });
    expect(run.stdout.split('\n')).toEqual([
      '--config',
      join(folder, 'tricopy.yaml'),
      '--quiet',
      'backup',
      'nightly',
    ]);
  });

  it('systemd units are escaped per systemd.syntax(7) and systemd-analyze verify accepts them', async () => {
    const result = await print('systemd');
    expect(result.code, result.stderr).toBe(0);
    const config = join(folder, 'tricopy.yaml');
    const asArgument = config.replace(/[\\"]/g, '\\$&').replaceAll('%', '%%').replaceAll('$', '$$$$');
    expect(asArgument).toContain(`'q' \\"d\\" 50%% $$HOME \\\\x \\\\%%`);
    expect(result.stdout).toContain(
      `ExecStart="${launcher.replaceAll('%', '%%')}" --config "${asArgument}" --log-format json backup nightly\n`,
    );
    expect(result.stdout).toContain(`WorkingDirectory=${folder.replaceAll('%', '%%')}\n`);

    const units = join(ws.dir, 'units');
    await mkdir(units, { recursive: true });
    const files = result.stdout.split(/^# \/etc\/systemd\/system\//m).slice(1);
    for (const text of files) {
      const name = text.slice(0, text.indexOf('\n'));
      await writeFile(join(units, name), text.slice(name.length + 1));
    }
    // verify resolves the executable (a wrongly escaped path is "not executable") and every specifier.
    const verify = await execa(
      'systemd-analyze',
      ['verify', join(units, 'tricopy-nightly.service'), join(units, 'tricopy-nightly.timer')],
      { reject: false },
    );
    expect(verify.stderr).toBe('');
    expect(verify.exitCode).toBe(0);
  });

  it('the daemon and worker units are escaped the same way', async () => {
    const daemon = await print('systemd-daemon');
    expect(daemon.code, daemon.stderr).toBe(0);
    expect(daemon.stdout).toMatch(/^ExecStart="[^\n]*50%% \$\$HOME[^\n]*" daemon$/m);
    const worker = await print('systemd-worker');
    expect(worker.stdout).toMatch(/^ExecStart="[^\n]*50%% \$\$HOME[^\n]*" worker$/m);
  });

  it('a config path with a newline is refused with a clear error, not printed', async () => {
    const broken = join(ws.dir, 'x\n30 * * * * evil');
    await mkdir(broken);
    await writeFile(join(broken, 'tricopy.yaml'), CONFIG);
    for (const format of ['crontab', 'systemd']) {
      const result = await print(format, broken);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(
        'contains a newline or another control character, which a crontab line or a systemd unit cannot hold: rename it',
      );
    }
  });
});
