import { EXIT } from './exit-codes.js';

/**
 * Runs `work` with a signal that Ctrl-C / SIGTERM abort, so the engine can stop dump and restore tools, drop what it
 * created and remove its password files before the process ends. A second signal exits at once.
 * process.on, not once: execa's exit hook re-raises a signal that no other listener holds any more.
 */
export async function interruptible<T>(what: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(EXIT.failed);
    stop.abort(new Error(`interrupted by ${signal}: ${what} was stopped before it finished`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
