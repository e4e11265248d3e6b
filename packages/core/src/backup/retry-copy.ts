import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DestinationError, isRetryable, type PutResult } from '@tricopy/contract';
import pRetry from 'p-retry';
import { checkStoredCopy, type Expected } from '../copies/copy-check.js';
import { type Branch, FanOut } from '../pipeline/fan-out.js';
import { HashCounter } from '../pipeline/hash-counter.js';
import { describeError } from '../util/errors.js';
import { recordCheck } from './backup-checks.js';
import type { RunContext } from './backup-run.js';
import { putWithin, settle } from './backup-stream.js';

export interface RetryRequest {
  readonly destination: string;
  readonly key: string;
  readonly produced: Expected;
  /** Destinations that hold a verified copy, cheapest first. */
  readonly candidates: readonly string[];
  readonly spoolPath?: string;
  readonly previousError?: string | undefined;
}

export interface RetryResult {
  readonly attempts: number;
  readonly verified?: { size: number; sha256: string; location: string };
  readonly error?: string;
  /** Destinations whose copy turned out not to match the backup when read (never propagated). */
  readonly badSources: readonly string[];
}

interface CopySource {
  readonly name: string;
  /** The destination read, when it is one (not the spool file). */
  readonly destination?: string;
  open(): Promise<Readable>;
}

/** Not worth another attempt from the same source: the next one is tried. */
class BadSourceCopy extends Error {
  /** True when its bytes were read in full and do not match (not merely unreadable). */
  constructor(
    message: string,
    readonly mismatch = false,
  ) {
    super(message);
  }
}

/**
 * Writes a failed copy again from a completed one (never from the database): bounded attempts with exponential
 * backoff while the error is retryable, the bytes re-hashed on the way so a bad source copy is never propagated,
 * and the result cross-checked.
 */
export async function retryCopy(run: RunContext, request: RetryRequest): Promise<RetryResult> {
  const { session } = run;
  const { retries } = session.config;
  const sources = sourcesOf(run, request);
  const badSources: string[] = [];
  let attempts = 0;
  try {
    const verified = await pRetry(
      async () => {
        attempts++;
        const from = sources[0];
        if (from === undefined) throw new Error('no intact copy left to copy from');
        try {
          return await writeOnce(run, request, from);
        } catch (error) {
          if (error instanceof BadSourceCopy) {
            sources.shift();
            if (error.mismatch && from.destination !== undefined) badSources.push(from.destination);
          }
          throw error;
        }
      },
      {
        retries: Math.max(0, retries.attempts - 1),
        minTimeout: retries.minDelayMs,
        maxTimeout: retries.maxDelayMs,
        factor: 2,
        randomize: true,
        signal: run.signal,
        shouldRetry: ({ error }) => isRetryable(error),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          const more = retriesLeft > 0 && isRetryable(error);
          session.logger.warn(
            `job ${run.job.name}: retry ${attemptNumber} of the copy on ${request.destination} failed: ` +
              `${session.redact(describeError(error))}${more ? ` (${retriesLeft} left)` : ''}`,
          );
        },
      },
    );
    return { attempts, verified, badSources };
  } catch (error) {
    return {
      attempts,
      badSources,
      error: `${request.previousError ?? 'failed'}; retried ${attempts}× from a completed copy: ${describeError(error)}`,
    };
  }
}

async function writeOnce(
  run: RunContext,
  request: RetryRequest,
  from: CopySource,
): Promise<{ size: number; sha256: string; location: string }> {
  const { session } = run;
  await session.forgetDestination(request.destination);
  const target = await session.destination(request.destination);
  const body = await from.open();
  const hasher = new HashCounter();
  // One branch, so a target that stops taking data is detached after stallTimeout, as during the dump.
  const fanOut = new FanOut([request.destination], { stallMs: session.config.stallTimeoutMs });
  const branch = fanOut.branches[0] as Branch;
  // Which side gave up first: the copy being read (a source error) or the target.
  let first: 'source' | 'target' | undefined;
  body.once('error', () => {
    first ??= 'source';
  });
  branch.stream.once('close', () => {
    if (!branch.stream.writableFinished) first ??= 'target';
  });
  // Observed from the start: the target may give up on its body (disk full, connection reset) while put is pending.
  const feeding = settle(pipeline(body, hasher, fanOut));
  const stored = await settle(
    putWithin(run, target, request.key, branch.stream, {
      size: request.produced.size,
      sha256: request.produced.sha256,
    }),
  );
  if (stored.ok) fanOut.detach(request.destination);
  else {
    first ??= 'target';
    fanOut.destroy(stored.error instanceof Error ? stored.error : new Error(String(stored.error)));
  }
  const fed = await feeding;
  if (!fed.ok && (stored.ok || first === 'source')) {
    if (stored.ok) await target.delete(request.key).catch(() => undefined);
    throw new BadSourceCopy(`reading the copy from ${from.name} failed: ${describeError(fed.error)}`);
  }
  // Read in full: bytes that do not match condemn the copy read, even when the target refused them first (a store
  // that checks the sha256 it was given rejects the put).
  if (fed.ok && (hasher.sha256 !== request.produced.sha256 || hasher.bytes !== request.produced.size)) {
    if (stored.ok) await target.delete(request.key).catch(() => undefined);
    throw new BadSourceCopy(
      `the copy read from ${from.name} does not match the backup; not propagating it`,
      true,
    );
  }
  if (!stored.ok) throw stored.error;
  const put: PutResult = stored.value;
  const check = await checkStoredCopy(target, request.key, request.produced, { put });
  await recordCheck(run, request.destination, request.produced, check, `retry from ${from.name}: `);
  if (!check.ok) {
    await target.delete(request.key).catch(() => undefined);
    throw new DestinationError(check.message, { retryable: check.kind !== 'no-checksum' });
  }
  session.logger.info(
    `job ${run.job.name}: copy on ${request.destination} written again from ${from.name} and verified`,
  );
  return { size: check.size, sha256: check.sha256, location: put.location };
}

function sourcesOf(run: RunContext, request: RetryRequest): CopySource[] {
  const sources: CopySource[] = request.candidates.map((name) => ({
    name: `destination ${name}`,
    destination: name,
    open: async () => (await run.session.destination(name)).get(request.key, { signal: run.signal }),
  }));
  const spoolPath = request.spoolPath;
  if (spoolPath !== undefined)
    sources.unshift({ name: 'the spool file', open: async () => createReadStream(spoolPath) });
  return sources;
}
