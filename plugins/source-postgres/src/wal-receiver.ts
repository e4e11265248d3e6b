import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Logger, SourceError } from '@tricopy/contract';
import { collectTail, firstErrorLine } from '@tricopy/plugin-support';
import { execa } from 'execa';
import { resolveTool } from './binaries.js';
import type { ConnectionSettings } from './connection.js';
import { toolEnv } from './tool-env.js';

/**
 * Starts pg_receivewal writing into `spool` from slot `slot`: --no-loop, so a lost connection ends it and the engine
 * starts it again (re-deriving the slot) rather than it retrying unseen. The password goes in a pgpass file only.
 * `ended` resolves when `signal` stopped it, and rejects with a one-line SourceError when it stopped by itself.
 */
export async function startReceiver(
  settings: ConnectionSettings,
  workDir: string,
  request: { readonly spool: string; readonly slot: string; readonly signal: AbortSignal },
): Promise<{ readonly ended: Promise<void> }> {
  const { instance, options, configDir } = settings;
  const file = await resolveTool('pg_receivewal', options, configDir, instance);
  const tools = await toolEnv(settings, workDir);
  const child = execa(
    file,
    ['--directory', request.spool, '--slot', request.slot, '--no-loop', '--no-password'],
    {
      env: tools.env,
      extendEnv: false,
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'pipe',
      reject: false,
      cancelSignal: request.signal,
      // pg_receivewal stops cleanly on SIGINT (SIGTERM only from PostgreSQL 15 on).
      killSignal: 'SIGINT',
      forceKillAfterDelay: 10_000,
    },
  );
  const stderr = collectTail(child.stderr);
  const ended = (async () => {
    try {
      const result = await child;
      if (request.signal.aborted) return;
      const line = firstErrorLine(stderr());
      const how = result.signal ? `was killed by ${result.signal}` : `exited (code ${result.exitCode})`;
      throw new SourceError(
        `source "${instance}": pg_receivewal ${how}${line === undefined ? '' : `: ${settings.redact(line)}`}`,
        { details: settings.redact(stderr()) },
      );
    } finally {
      await tools.dispose();
    }
  })();
  ended.catch(() => {});
  // No pid: it could not be started at all (ended says why).
  if (child.pid === undefined) await ended;
  return { ended };
}

/**
 * Removes partial segments a killed pg_receivewal left half padded (neither empty nor a whole segment long), which
 * it refuses to start with. Safe: the receive slot, copied from the acknowledgement slot, still holds their WAL on
 * the server, so the receiver streams it again.
 */
export async function removeTornPartials(spool: string, segmentBytes: number, logger: Logger): Promise<void> {
  // A spool that is not there is pg_receivewal's to report.
  for (const name of await readdir(spool).catch(() => [] as string[])) {
    if (!/^[0-9A-F]{24}\.partial$/.test(name)) continue;
    const { size } = await stat(join(spool, name));
    if (size === 0 || size === segmentBytes) continue;
    await rm(join(spool, name), { force: true });
    logger.info(
      `removed ${name} from the WAL spool: ${size} bytes, left by a receiver that was killed; it is received again`,
    );
  }
}
