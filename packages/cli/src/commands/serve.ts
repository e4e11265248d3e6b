import { type GlobalOptions, withSession } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { DEFAULT_LISTEN } from '../serve/listen-options.js';
import { type ServeOptions, startStatusService } from '../serve/status-service.js';

/** Serves the catalog read-only over HTTP until SIGTERM or SIGINT. */
export async function serveCommand(options: GlobalOptions & ServeOptions): Promise<number> {
  return withSession(options, async (session) => {
    const service = await startStatusService(
      { ...options, listen: options.listen ?? DEFAULT_LISTEN },
      () => session,
      session.logger,
      (text) => session.redact(text),
    );
    const signal = await untilSignal();
    session.logger.info(`received ${signal}: stopping`, { event: 'signal', signal });
    await service.stop();
    return EXIT.ok;
  });
}

/** Resolves with the first SIGTERM or SIGINT (and stops listening for them). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
