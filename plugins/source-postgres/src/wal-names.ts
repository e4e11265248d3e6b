/** PostgreSQL WAL file names: `TTTTTTTTXXXXXXXXYYYYYYYY` segments and `TTTTTTTT.history` timeline histories. */
const SEGMENT = /^[0-9A-F]{24}$/;
const HISTORY = /^[0-9A-F]{8}\.history$/;

/** A complete WAL file to store (pg_receivewal's `.partial` files and anything else are not). */
export function isCompleteWalFile(name: string): boolean {
  return SEGMENT.test(name) || HISTORY.test(name);
}

export function isHistoryFile(name: string): boolean {
  return HISTORY.test(name);
}

/**
 * The LSN just past the end of segment `name` (`X/Y`): acknowledging it lets the server recycle the segment. A
 * segment's number is its log id (second eight digits) times the segments per log id, plus its last eight digits.
 */
export function segmentEndLsn(name: string, segmentBytes: number): string {
  const perLogId = 0x1_0000_0000n / BigInt(segmentBytes);
  const segno = BigInt(`0x${name.slice(8, 16)}`) * perLogId + BigInt(`0x${name.slice(16, 24)}`);
  const end = (segno + 1n) * BigInt(segmentBytes);
  return `${(end >> 32n).toString(16).toUpperCase()}/${(end & 0xffff_ffffn).toString(16).toUpperCase()}`;
}

/** A slot name for a job: lowercase, `_` for anything else, short enough for `<slot>_recv` (63 bytes). */
export function defaultSlotName(job: string): string {
  return `tricopy_${job.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 58);
}

/** `30s`, `5m`, `1h` in milliseconds. */
export function durationMs(text: string): number {
  const unit = { s: 1000, m: 60_000, h: 3_600_000 }[text.slice(-1) as 's' | 'm' | 'h'];
  return Number(text.slice(0, -1)) * unit;
}
