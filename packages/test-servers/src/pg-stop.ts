import { join } from 'node:path';
import { asPgServerUser } from './pg-os-user.js';
import { waitForExit } from './process-exit.js';

/**
 * Stops the postmaster `pid` of `dataDir` with `pg_ctl stop -m MODE` and waits for it to exit; SIGKILL when pg_ctl
 * fails or it is still there after 10 s.
 */
export async function stopPostmaster(
  binDir: string,
  dataDir: string,
  pid: number,
  mode: 'fast' | 'immediate',
): Promise<void> {
  try {
    await asPgServerUser(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
  } catch {
    // pg_ctl failed or timed out: the postmaster is killed below.
  }
  // pg_ctl returns once postmaster.pid is gone, which the postmaster removes just before it exits.
  if (!(await waitForExit(pid, 10_000))) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** `stop` as a server handle offers it: the first call runs `steps`, every later call waits for that one. */
export function onlyOnce(steps: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= steps();
    return stopping;
  };
}
