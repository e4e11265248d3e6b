import { createReadStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pRetry from 'p-retry';
import { HashCounter } from '../pipeline/hash-counter.js';
import { describeError } from '../util/errors.js';
import { crossCheck, type Produced } from './cross-check.js';
import type { Session } from './session.js';

export interface RetryRequest {
  readonly job: string;
  readonly destination: string;
  readonly key: string;
  readonly produced: Produced;
  /** Destinations that hold a verified copy, in any order; local ones are read first. */
  readonly candidates: readonly string[];
  readonly spoolPath?: string;
  readonly signal?: AbortSignal;
  readonly previousError?: string | undefined;
}

export interface RetryResult {
  readonly attempts: number;
  readonly verified?: { size: number; sha256: string; location: string };
  readonly error?: string;
}

/**
 * Writes a failed copy again from a completed one (never from the database): bounded attempts with exponential
 * backoff, the bytes re-hashed on the way so a bad source copy is never propagated, and the result cross-checked.
 */
export async function retryCopy(session: Session, request: RetryRequest): Promise<RetryResult> {
  const { retries } = session.config;
  const log = session.logger;
  const sources = await orderSources(session, request);
  let attempts = 0;
  try {
    const verified = await pRetry(
      async () => {
        attempts++;
        await session.forgetDestination(request.destination);
        const target = await session.destination(request.destination);
        const from = sources[0];
        if (from === undefined) throw new Error('no intact copy left to copy from');
        const body = await from.open();
        const hasher = new HashCounter();
        const flowing = new PassThrough();
        const feeding = pipeline(body, hasher, flowing);
        let put: Awaited<ReturnType<typeof target.put>>;
        try {
          put = await target.put(request.key, flowing, {
            size: request.produced.size,
            sha256: request.produced.sha256,
            ...(request.signal === undefined ? {} : { signal: request.signal }),
          });
          await feeding;
        } catch (error) {
          flowing.destroy();
          await feeding.catch(() => undefined);
          throw error;
        }
        if (hasher.sha256 !== request.produced.sha256 || hasher.bytes !== request.produced.size) {
          sources.shift();
          await target.delete(request.key).catch(() => undefined);
          throw new Error(`the copy read from ${from.name} does not match the backup; not propagating it`);
        }
        const outcome = await crossCheck(target, request.key, put, request.produced);
        session.catalog.recordVerification({
          backupId: request.key.split('/')[1] as string,
          destination: request.destination,
          level: 'backup',
          status: outcome.ok ? 'ok' : outcome.kind,
          expectedSize: request.produced.size,
          expectedSha256: request.produced.sha256,
          actualSize: outcome.ok ? outcome.size : (outcome.actualSize ?? null),
          actualSha256: outcome.ok ? outcome.sha256 : (outcome.actualSha256 ?? null),
          detail: outcome.ok ? `retry from ${from.name}: ${outcome.how}` : outcome.message,
        });
        if (!outcome.ok) {
          await target.delete(request.key).catch(() => undefined);
          throw new Error(outcome.message);
        }
        log.info(
          `job ${request.job}: copy on ${request.destination} written again from ${from.name} and verified`,
        );
        return { size: outcome.size, sha256: outcome.sha256, location: put.location };
      },
      {
        retries: Math.max(0, retries.attempts - 1),
        minTimeout: retries.minDelayMs,
        maxTimeout: retries.maxDelayMs,
        factor: 2,
        randomize: true,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          log.warn(
            `job ${request.job}: retry ${attemptNumber} of the copy on ${request.destination} failed: ` +
              `${session.redact(describeError(error))}${retriesLeft > 0 ? ` (${retriesLeft} left)` : ''}`,
          );
        },
      },
    );
    return { attempts, verified };
  } catch (error) {
    return {
      attempts,
      error: `${request.previousError ?? 'failed'}; retried ${attempts}× from a completed copy: ${describeError(error)}`,
    };
  }
}

interface CopySource {
  readonly name: string;
  open(): Promise<Readable>;
}

async function orderSources(session: Session, request: RetryRequest): Promise<CopySource[]> {
  const ranked = await Promise.all(
    request.candidates.map(async (name) => {
      const destination = await session.destination(name);
      return { name, local: destination.capabilities?.local === true };
    }),
  );
  ranked.sort((a, b) => Number(b.local) - Number(a.local));
  const sources: CopySource[] = ranked.map(({ name }) => ({
    name: `destination ${name}`,
    open: async () => (await session.destination(name)).get(request.key),
  }));
  const spoolPath = request.spoolPath;
  if (spoolPath !== undefined)
    sources.unshift({ name: 'the spool file', open: async () => createReadStream(spoolPath) });
  return sources;
}
