/** Exit codes, documented in the README. */
export const EXIT = {
  /** Every requested copy written and cross-checked (or: every check passed). */
  ok: 0,
  /** A job failed: no good copy (or: a check or restore failed). */
  failed: 1,
  /** Usage or configuration error. */
  usage: 2,
  /** Degraded: at least one copy good, at least one failed or mismatched. */
  degraded: 3,
} as const;

export function exitCodeFor(status: 'ok' | 'degraded' | 'failed'): number {
  return status === 'ok' ? EXIT.ok : status === 'degraded' ? EXIT.degraded : EXIT.failed;
}
