import { spawn } from 'node:child_process';

/*
 * Guards against server processes outliving the test run. A throwaway server (postmaster, mariadbd) does not die
 * with the process that started it, so a crashed or killed test worker would leave it running. This starts a
 * detached shell that waits for the current Node process to exit, then stops the server (gentle signal first,
 * SIGKILL after 5 s) and removes its directory. `stop()` of a server disposes the watchdog first.
 * Used by both the PostgreSQL and the MariaDB test servers.
 */
const SCRIPT = `
owner="$1"; server="$2"; signal="$3"; dir="$4"
trap '' HUP INT
while kill -0 "$owner" 2>/dev/null; do sleep 1; done
kill -"$signal" "$server" 2>/dev/null
i=0
while kill -0 "$server" 2>/dev/null && [ "$i" -lt 10 ]; do sleep 0.5; i=$((i+1)); done
kill -KILL "$server" 2>/dev/null
rm -rf -- "$dir"
`;

export interface Watchdog {
  dispose(): void;
}

export function startWatchdog(serverPid: number, dir: string, signal: 'QUIT' | 'TERM'): Watchdog {
  const child = spawn(
    'sh',
    ['-c', SCRIPT, 'tricopy-test-server-watchdog', String(process.pid), String(serverPid), signal, dir],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  child.unref();
  // Belt and braces for a normal process exit that skipped afterAll: ask the server to stop right away.
  const onExit = () => {
    try {
      process.kill(serverPid, `SIG${signal}`);
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  return {
    dispose() {
      process.removeListener('exit', onExit);
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}
