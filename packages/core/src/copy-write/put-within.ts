import type { Readable } from 'node:stream';
import type { Destination, PutOptions, PutResult } from '@tricopy/contract';

/** What bounds one put: the run's signal and how long a store may stay silent after its last byte. */
export interface PutBounds {
  readonly signal: AbortSignal;
  readonly stallMs: number;
}

/**
 * A put bounded like the stream that feeds it: once its body has ended, the destination has stallTimeout to finish
 * storing it (it is aborted through its signal after that), so a store that takes every byte and never answers
 * cannot hold the run.
 */
export async function putWithin(
  bounds: PutBounds,
  destination: Destination,
  key: string,
  body: Readable,
  options: Omit<PutOptions, 'signal'>,
): Promise<PutResult> {
  const { stallMs } = bounds;
  const abort = new AbortController();
  const onRunAbort = () => abort.abort(bounds.signal.reason);
  bounds.signal.addEventListener('abort', onRunAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Error(
    `the destination did not finish storing the copy within ${Math.round(stallMs / 1000)} s of its last byte (stalled)`,
  );
  body.once('end', () => {
    timer = setTimeout(() => abort.abort(stalled), stallMs);
  });
  try {
    return await destination.put(key, body, { ...options, signal: abort.signal });
  } catch (error) {
    throw abort.signal.reason === stalled ? stalled : error;
  } finally {
    clearTimeout(timer);
    bounds.signal.removeEventListener('abort', onRunAbort);
  }
}
