import type { Destination, Logger } from '@tricopy/contract';
import type { CopyCheck, Expected } from '../copies/copy-check.js';
import type { Session } from '../session/session.js';

/** The destinations a copy write may open, by name; forget drops one's connection before a fresh attempt. */
export interface DestinationPool {
  open(name: string): Promise<Destination>;
  forget(name: string): Promise<void>;
}

/** How long a write may stall, and how often it is tried (the config's stallTimeout and retries). */
export interface WriteLimits {
  readonly stallMs: number;
  readonly retries: { readonly attempts: number; readonly minDelayMs: number; readonly maxDelayMs: number };
}

/**
 * What writing a copy of an existing artifact needs, and nothing else: the backup's retry and repair both write
 * through it. The artifact is known (key, expected size and sha256); where it goes is a destination of the pool.
 */
export interface CopyWriteContext {
  /** Whose copies these are, as log lines name it ("job nightly"). */
  readonly label: string;
  /** Where the artifact is stored on every destination. */
  readonly key: string;
  readonly expected: Expected;
  readonly destinations: DestinationPool;
  readonly limits: WriteLimits;
  readonly logger: Logger;
  /** Hides secrets in what is logged (never in what is stored). */
  readonly redact: (text: string) => string;
  readonly signal: AbortSignal;
  /** Keeps the cross-check of a written copy (the catalog's verification log). */
  readonly recordCheck: (destination: string, check: CopyCheck, how: string) => Promise<void>;
}

/** The copy-writing context of one backup of the session's config. */
export function copyWriteContext(
  session: Session,
  of: {
    readonly job: string;
    readonly backupId: string;
    readonly key: string;
    readonly expected: Expected;
    readonly signal?: AbortSignal | undefined;
  },
): CopyWriteContext {
  return {
    label: `job ${of.job}`,
    key: of.key,
    expected: of.expected,
    destinations: {
      open: (name) => session.destination(name),
      forget: (name) => session.forgetDestination(name),
    },
    limits: { stallMs: session.config.stallTimeoutMs, retries: session.config.retries },
    logger: session.logger,
    redact: (text) => session.redact(text),
    signal: of.signal ?? new AbortController().signal,
    recordCheck: (destination, check, how) =>
      recordCopyCheck(session, of.backupId, { destination, expected: of.expected, check, how }),
  };
}

/** One line of the catalog's verification log: a copy cross-checked as it was written. */
export async function recordCopyCheck(
  session: Session,
  backupId: string,
  record: { destination: string; expected: Expected; check: CopyCheck; how: string },
): Promise<void> {
  const { destination, expected, check, how } = record;
  await session.catalog.recordVerification({
    backupId,
    destination,
    level: 'backup',
    status: check.ok ? 'ok' : check.kind,
    expectedSize: expected.size,
    expectedSha256: expected.sha256,
    actualSize: check.ok ? check.size : (check.actualSize ?? null),
    actualSha256: check.ok ? check.sha256 : (check.actualSha256 ?? null),
    detail: check.ok ? `${how}${check.how}` : check.message,
  });
}
