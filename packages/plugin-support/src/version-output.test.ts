import { describe, expect, it } from 'vitest';
import { versionOutput } from './version-output.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

describe('versionOutput', () => {
  it('gives what the program printed and its exit code', async () => {
    const result = await versionOutput('/bin/sh', ['-c', 'echo "tool 1.2"; echo oops >&2; exit 3'], env);
    expect(result).toEqual({ exitCode: 3, stdout: 'tool 1.2', stderr: 'oops' });
  });

  it('passes exactly the environment it is given', async () => {
    const result = await versionOutput('/bin/sh', ['-c', 'echo "${SECRET-unset} $ONLY"'], {
      ...env,
      ONLY: 'x',
    });
    expect(result).toEqual({ exitCode: 0, stdout: 'unset x', stderr: '' });
  });

  it('resolves with no exit code and why, for a program that cannot start', async () => {
    const result = await versionOutput('/nonexistent/pg_dump', ['--version'], env);
    expect(result.exitCode).toBeNull();
    expect(result.stderr).toContain('ENOENT');
  });

  it('stops a program that does not answer within the timeout', async () => {
    const result = await versionOutput('/bin/sh', ['-c', 'sleep 30'], env, 200);
    expect(result.exitCode).toBeNull();
  });
});
