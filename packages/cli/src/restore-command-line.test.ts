import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { restoreCommandLine } from './restore-command-line.js';

/** What PostgreSQL does with restore_command: %f, %p and %% replaced, then run through sh. */
function runAsPostgres(command: string, file: string, path: string): string[] {
  const line = command.replace(/%([fp%])/g, (_, c: string) => (c === 'f' ? file : c === 'p' ? path : '%'));
  return JSON.parse(execFileSync('/bin/sh', ['-c', line], { encoding: 'utf8' })) as string[];
}

describe('restoreCommandLine', () => {
  it('gives wal-fetch exactly its words through PostgreSQL and sh, quotes, spaces and % included', async () => {
    const dir = await mkdtemp(join(tmpdir(), "tri 'q' %f "));
    const script = join(dir, 'argv.mjs');
    await writeFile(script, 'console.log(JSON.stringify(process.argv.slice(2)))\n');
    const config = join(dir, 'my config.yaml');
    const command = restoreCommandLine('job $x', { config, identityFile: join(dir, 'id%p.txt') }, [
      process.execPath,
      script,
    ]);
    expect(runAsPostgres(command, '000000010000000000000003', 'pg_wal/RECOVERYXLOG')).toEqual([
      '--config',
      config,
      'wal-fetch',
      '--identity',
      join(dir, 'id%p.txt'),
      '--job',
      'job $x',
      '000000010000000000000003',
      'pg_wal/RECOVERYXLOG',
    ]);
  });

  it('makes relative paths absolute', () => {
    const command = restoreCommandLine(
      'pg',
      { config: 'tricopy.yaml', envFile: 'env', identityFile: 'keys/id.txt' },
      ['tricopy'],
    );
    expect(command).toBe(
      `tricopy --config ${join(process.cwd(), 'tricopy.yaml')} --env-file ${join(process.cwd(), 'env')} wal-fetch --identity ${join(process.cwd(), 'keys/id.txt')} --job pg %f "%p"`,
    );
  });

  it('refuses a control character, naming the fix', () => {
    expect(() => restoreCommandLine('a\nb', { config: '/c.yaml' }, ['tricopy'])).toThrow(/rename it/);
  });
});
