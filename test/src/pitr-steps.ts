// Steps the point-in-time recovery tests share: waiting for the archiver to store and acknowledge a WAL file, and
// restoring into a fresh folder that pg_ctl then starts.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type DataDirServer, startPostgresOnDataDir } from '@tricopy/test-servers';
import { execa } from 'execa';
import { expect } from 'vitest';
import type { Archiver } from './pitr-archiver.js';
import { slotRestartSegment, until } from './pitr-data.js';
import { PITR_DESTINATIONS, type PitrDestination, type PitrEnv } from './pitr-env.js';

/** The slot the archiver acknowledges on, and the one its pg_receivewal streams from (job `app`). */
export const ACK_SLOT = 'tricopy_app';
export const RECV_SLOT = 'tricopy_app_recv';

/** Throws with the archiver's output when it has exited. */
export function assertArchiverRuns(archiver: Archiver): void {
  const exit = archiver.exit();
  if (exit !== undefined) {
    throw new Error(
      `tricopy wal app exited (${exit.code ?? exit.signal}):\n${archiver.stdout()}\n${archiver.stderr()}`,
    );
  }
}

export async function storedOn(env: PitrEnv, destination: PitrDestination, name: string): Promise<boolean> {
  return (await env.walNames(destination, 'app')).includes(name);
}

/** Waits until the archiver has created its two slots and streams from the receive one. */
export async function waitArchiverStreaming(env: PitrEnv, archiver: Archiver): Promise<void> {
  await until('the ack slot and an active receive slot', async () => {
    assertArchiverRuns(archiver);
    const slots = await env.pg.sql(
      'postgres',
      `SELECT slot_name || ':' || active FROM pg_replication_slots WHERE slot_name IN ('${ACK_SLOT}', '${RECV_SLOT}') ORDER BY 1`,
    );
    return slots === `${ACK_SLOT}:false\n${RECV_SLOT}:true`;
  });
}

/** Waits until `name` is on every destination and the ack slot has moved past it (the catalog has it). */
export async function waitStoredEverywhere(env: PitrEnv, archiver: Archiver, name: string): Promise<void> {
  let status = '';
  await until(
    () => `${name} on ${PITR_DESTINATIONS.join(', ')} and acknowledged; now ${status}`,
    async () => {
      assertArchiverRuns(archiver);
      const on = [];
      for (const destination of PITR_DESTINATIONS)
        if (await storedOn(env, destination, name)) on.push(destination);
      const retained = await slotRestartSegment(env.pg, ACK_SLOT);
      status = `on [${on.join(', ')}], the ack slot retains from ${retained}`;
      return on.length === PITR_DESTINATIONS.length && retained !== undefined && retained > name;
    },
  );
}

/**
 * Restores job `app` with `args` into a fresh folder of the workspace, starts it with pg_ctl and waits for the
 * promotion; the server is added to `started` for the caller to stop.
 */
export async function restoreAndStart(
  env: PitrEnv,
  started: DataDirServer[],
  folder: string,
  args: readonly string[],
): Promise<DataDirServer> {
  const dir = join(env.ws.dir, folder);
  const result = await env.cli(['restore', '--job', 'app', ...args, '--to', dir]);
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(result.stdout).toContain('pg_ctl');
  return startRestored(started, dir);
}

/** Starts the data directory `dir` (recovery settings in place) and waits for the promotion. */
export async function startRestored(started: DataDirServer[], dir: string): Promise<DataDirServer> {
  const server = await startPostgresOnDataDir(dir);
  started.push(server);
  await server.waitForPromotion(180_000);
  return server;
}

/**
 * What a user copies off the SFTP destination to restore without tricopy (here as root, who can read the SFTP root),
 * handed to the server's OS user: the one base backup file named `baseName`, into the workspace, and every WAL file,
 * into the folder `wal-copy`. Returns that folder.
 */
export async function copyOffNas(env: PitrEnv, baseName: string): Promise<string> {
  const nas = join(env.sshd.rootDir, 'tricopy/app');
  const base = (await readdir(nas, { recursive: true })).filter((f) => f.endsWith(baseName));
  expect(base).toHaveLength(1);
  const wal = await env.ws.mkdir('wal-copy');
  await execa('sh', ['-c', `cp ${join(nas, 'wal')}/* '${wal}/' && chown -R --reference='${wal}' '${wal}'`]);
  const copy = join(env.ws.dir, baseName);
  await execa('sh', [
    '-c',
    `cp '${join(nas, base[0] as string)}' '${copy}' && chown --reference='${wal}' '${copy}'`,
  ]);
  return wal;
}

/**
 * docs/pitr.md's last step by hand, as shell lines for the server's OS user: recovery settings with a zstd
 * restore_command reading `wal`, to `target`, then recovery.signal, in the data directory `dir`.
 */
export function recoverToTime(dir: string, wal: string, target: string): string {
  return `cat >> ${dir}/postgresql.auto.conf <<'EOF'
restore_command = 'zstd -d -q -c ${wal}/%f.zst > "%p"'
recovery_target_time = '${target}'
recovery_target_action = 'promote'
EOF
touch ${dir}/recovery.signal`;
}
