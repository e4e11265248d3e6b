import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DestinationError, isRetryable, type PutResult } from '@tricopy/contract';
import pRetry from 'p-retry';
import { checkStoredCopy } from '../copies/copy-check.js';
import { type Branch, FanOut } from '../pipeline/fan-out.js';
import { HashCounter, TooLongError } from '../pipeline/hash-counter.js';
import { describeError } from '../util/errors.js';
import { settle } from '../util/settled.js';
import type { CopyWriteContext } from './copy-write-context.js';
import { putWithin } from './put-within.js';

export interface RewriteRequest {
  /** The destination to write the copy on. */
  readonly destination: string;
  /** Destinations that hold a verified copy, cheapest first. */
  readonly candidates: readonly string[];
  readonly spoolPath?: string;
  readonly previousError?: string | undefined;
}

/** A copy written and cross-checked. */
export interface StoredCopy {
  readonly size: number;
  readonly sha256: string;
  readonly location: string;
}

export interface RewriteResult {
  readonly attempts: number;
  readonly verified?: StoredCopy;
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
export async function rewriteCopy(ctx: CopyWriteContext, request: RewriteRequest): Promise<RewriteResult> {
  const { retries } = ctx.limits;
  const sources = sourcesOf(ctx, request);
  const badSources: string[] = [];
  const dropped: string[] = [];
  let attempts = 0;
  try {
    const verified = await pRetry(
      async () => {
        attempts++;
        const from = sources[0];
        if (from === undefined) throw new Error(`no intact copy left to copy from${whyNone(dropped)}`);
        try {
          return await writeOnce(ctx, request, from);
        } catch (error) {
          if (error instanceof BadSourceCopy) {
            sources.shift();
            dropped.push(error.message);
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
        signal: ctx.signal,
        shouldRetry: ({ error }) => isRetryable(error),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          const more = retriesLeft > 0 && isRetryable(error);
          ctx.logger.warn(
            `${ctx.label}: retry ${attemptNumber} of the copy on ${request.destination} failed: ` +
              `${ctx.redact(describeError(error))}${more ? ` (${retriesLeft} left)` : ''}`,
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

function whyNone(dropped: readonly string[]): string {
  return dropped.length === 0 ? '' : ` (${dropped.join('; ')})`;
}

async function writeOnce(
  ctx: CopyWriteContext,
  request: RewriteRequest,
  from: CopySource,
): Promise<StoredCopy> {
  const { key, expected } = ctx;
  await ctx.destinations.forget(request.destination);
  const target = await ctx.destinations.open(request.destination);
  const body = await from.open();
  const hasher = new HashCounter({ bytes: expected.size, what: `the copy read from ${from.name}` });
  // One branch, so a target that stops taking data is detached after stallTimeout, as during the dump.
  const fanOut = new FanOut([request.destination], { stallMs: ctx.limits.stallMs });
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
    putWithin({ signal: ctx.signal, stallMs: ctx.limits.stallMs }, target, key, branch.stream, {
      size: expected.size,
      sha256: expected.sha256,
    }),
  );
  if (stored.ok) fanOut.detach(request.destination);
  else {
    first ??= 'target';
    fanOut.destroy(stored.error instanceof Error ? stored.error : new Error(String(stored.error)));
  }
  const fed = await feeding;
  if (!fed.ok && fed.error instanceof TooLongError) {
    if (stored.ok) await target.delete(key).catch(() => undefined);
    throw new BadSourceCopy(`${describeError(fed.error)}; not propagating it`, true);
  }
  if (!fed.ok && (stored.ok || first === 'source')) {
    if (stored.ok) await target.delete(key).catch(() => undefined);
    throw new BadSourceCopy(`reading the copy from ${from.name} failed: ${describeError(fed.error)}`);
  }
  // Read in full: bytes that do not match condemn the copy read, even when the target refused them first (a store
  // that checks the sha256 it was given rejects the put).
  if (fed.ok && (hasher.sha256 !== expected.sha256 || hasher.bytes !== expected.size)) {
    if (stored.ok) await target.delete(key).catch(() => undefined);
    throw new BadSourceCopy(
      `the copy read from ${from.name} does not match the backup; not propagating it`,
      true,
    );
  }
  if (!stored.ok) throw stored.error;
  const put: PutResult = stored.value;
  const check = await checkStoredCopy(target, key, expected, { put });
  await ctx.recordCheck(request.destination, check, `retry from ${from.name}: `);
  if (!check.ok) {
    await target.delete(key).catch(() => undefined);
    throw new DestinationError(check.message, { retryable: check.kind !== 'no-checksum' });
  }
  ctx.logger.info(
    `${ctx.label}: copy on ${request.destination} written again from ${from.name} and verified`,
  );
  return { size: check.size, sha256: check.sha256, location: put.location };
}

function sourcesOf(ctx: CopyWriteContext, request: RewriteRequest): CopySource[] {
  const sources: CopySource[] = request.candidates.map((name) => ({
    name: `destination ${name}`,
    destination: name,
    open: async () => (await ctx.destinations.open(name)).get(ctx.key, { signal: ctx.signal }),
  }));
  const spoolPath = request.spoolPath;
  if (spoolPath !== undefined)
    sources.unshift({ name: 'the spool file', open: async () => createReadStream(spoolPath) });
  return sources;
}
