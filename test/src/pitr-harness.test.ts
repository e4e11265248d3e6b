// The PITR e2e's ground: the CLI runs as the OS user PostgreSQL runs as (root is refused by pg_ctl), the job's role
// has REPLICATION with a password over TCP and may create slots and switch WAL, and secrets reach tricopy only
// through files that user owns.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PITR_DATABASE, PITR_ROLE, type PitrEnv, startPitrEnv } from './pitr-env.js';
import { assertReachable } from './pitr-user.js';

let env: PitrEnv;

beforeAll(async () => {
  env = await startPitrEnv('pitr-harness');
});
afterAll(async () => {
  await env?.stop();
});

/** psql over TCP as the PITR role, the password from its file (as the job reads it). */
async function asRole(args: readonly string[]) {
  const password = (await execa('cat', [join(env.ws.dir, 'secrets/pg-password')])).stdout.trim();
  return execa(
    join(env.pg.binDir, 'psql'),
    ['-X', '-At', '-w', '-v', 'ON_ERROR_STOP=1', '-h', env.pg.host, '-p', String(env.pg.port), ...args],
    {
      env: { PATH: process.env.PATH ?? '', PGPASSWORD: password },
      extendEnv: false,
      reject: false,
    },
  );
}

describe('the PITR harness', () => {
  it('runs the CLI as the server OS user, in a workspace that user owns', async () => {
    const result = await env.cli(['--version']);
    expect(result.code, result.stderr).toBe(0);
    const owner = (await stat(env.ws.dir)).uid;
    expect(owner).toBe(env.user.ids?.uid ?? process.getuid?.());
    const secret = await stat(join(env.ws.dir, 'secrets/pg-password'));
    expect([secret.uid, secret.mode & 0o777]).toEqual([owner, 0o600]);
  });

  it('says what to fix when the CLI user cannot reach a folder', async ({ skip }) => {
    if (env.user.ids === undefined) skip('only as root: the CLI runs as the current user otherwise');
    await expect(assertReachable(env.user, '/root')).rejects.toThrow(
      /run tricopy as the OS user postgres .*cannot .*\/root.*chmod o\+x/,
    );
  });

  it('gives the role a replication connection over TCP with its password, slots and pg_switch_wal', async () => {
    const replication = await asRole([
      '-d',
      `dbname=${PITR_DATABASE} user=${PITR_ROLE} replication=database`,
      '-c',
      'IDENTIFY_SYSTEM',
    ]);
    expect(replication.exitCode, replication.stderr).toBe(0);
    expect(replication.stdout).toMatch(/^\d+\|1\|/);
    const slots = await asRole([
      '-U',
      PITR_ROLE,
      '-d',
      PITR_DATABASE,
      '-c',
      "SELECT pg_create_physical_replication_slot('harness_probe', true) IS NOT NULL",
      '-c',
      "SELECT (pg_copy_physical_replication_slot('harness_probe', 'harness_probe_recv')).slot_name = 'harness_probe_recv'",
      '-c',
      'SELECT pg_switch_wal() IS NOT NULL',
      '-c',
      "SELECT pg_drop_replication_slot('harness_probe'), pg_drop_replication_slot('harness_probe_recv')",
    ]);
    expect(slots.exitCode, slots.stderr).toBe(0);
    expect(slots.stdout.split('\n'), slots.stderr).toEqual(['t', 't', 't', '|']);
  });

  it('refuses the role a wrong password', async () => {
    const result = await execa(
      join(env.pg.binDir, 'psql'),
      [
        '-X',
        '-At',
        '-w',
        '-h',
        env.pg.host,
        '-p',
        String(env.pg.port),
        '-U',
        PITR_ROLE,
        '-d',
        PITR_DATABASE,
        '-c',
        'SELECT 1',
      ],
      { env: { PATH: process.env.PATH ?? '', PGPASSWORD: 'wrong' }, extendEnv: false, reject: false },
    );
    expect(result.stderr).toContain('password authentication failed');
  });
});
