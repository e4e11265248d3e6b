import type { Logger } from '@tricopy/contract';
import { alertStaleJobs, describeError, fleetStatus } from '@tricopy/core';
import { type ListenAddress, parseListen, serveToken } from './listen-options.js';
import { close, createStatusServer, listen, type StatusSources, urlOf } from './status-server.js';

export interface ServeOptions {
  listen?: string;
  tokenFile?: string;
}

/** How often a running server looks for jobs that turned stale, to notify (once per episode). */
const STALE_CHECK_MS = 60_000;

export interface StatusService {
  readonly address: ListenAddress;
  stop(): Promise<void>;
}

/**
 * The read-only status server (`serve`, `daemon --listen`): checks the address and token before anything listens,
 * then serves, and notifies stale jobs every minute.
 */
export async function startStatusService(
  options: ServeOptions & { listen: string },
  sources: () => StatusSources,
  logger: Logger,
  redact: (text: string) => string,
): Promise<StatusService> {
  const wanted = parseListen(options.listen);
  const token = await serveToken(wanted, options.tokenFile);
  const server = createStatusServer({ sources, token, logger });
  const address = await listen(server, wanted);
  logger.info(`serving the dashboard at /, /metrics and /api/jobs on ${urlOf(address)}`, {
    event: 'listening',
    url: urlOf(address),
    auth: token === undefined ? 'none' : 'bearer',
  });
  const alert = async () => {
    try {
      const current = sources();
      await alertStaleJobs(current, await fleetStatus(current, new Date()), { logger, redact });
    } catch (error) {
      logger.error(`stale check failed: ${describeError(error)}`);
    }
  };
  void alert();
  const timer = setInterval(() => void alert(), STALE_CHECK_MS);
  timer.unref();
  return {
    address,
    async stop() {
      clearInterval(timer);
      await close(server);
    },
  };
}
