/** PostgreSQL's WAL file names: `TTTTTTTTXXXXXXXXYYYYYYYY` segments and `TTTTTTTT.history` timeline histories. */

export const DEFAULT_WAL_SEGMENT_SIZE = 16 * 1024 * 1024;

const SEGMENT = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;
const HISTORY = /^([0-9A-F]{8})\.history$/;

export type WalName =
  | { readonly kind: 'segment'; readonly timeline: number; readonly log: number; readonly seg: number }
  | { readonly kind: 'history'; readonly timeline: number };

/** The parts of a WAL file name; undefined for anything else. */
export function parseWalName(name: string): WalName | undefined {
  const segment = SEGMENT.exec(name);
  if (segment !== null) {
    const [, timeline, log, seg] = segment as unknown as [string, string, string, string];
    return { kind: 'segment', timeline: hex(timeline), log: hex(log), seg: hex(seg) };
  }
  const history = HISTORY.exec(name);
  if (history !== null) return { kind: 'history', timeline: hex(history[1] as string) };
  return undefined;
}

const hex = (text: string) => Number.parseInt(text, 16);
const hex8 = (value: number) => value.toString(16).toUpperCase().padStart(8, '0');

/** Segments per "log id" (the middle 8 digits): 4 GiB of WAL divided by the segment size. */
function segmentsPerLog(segmentSize: number): number {
  return Math.floor(0x1_0000_0000 / segmentSize);
}

/** A segment's position in the WAL stream, whatever its timeline (consecutive segments differ by 1). */
export function segmentNumber(name: string, segmentSize = DEFAULT_WAL_SEGMENT_SIZE): number | undefined {
  const parsed = parseWalName(name);
  if (parsed?.kind !== 'segment') return undefined;
  return parsed.log * segmentsPerLog(segmentSize) + parsed.seg;
}

/** The name of segment `number` on `timeline`. */
export function segmentName(
  timeline: number,
  number: number,
  segmentSize = DEFAULT_WAL_SEGMENT_SIZE,
): string {
  const perLog = segmentsPerLog(segmentSize);
  return hex8(timeline) + hex8(Math.floor(number / perLog)) + hex8(number % perLog);
}

export function historyName(timeline: number): string {
  return `${hex8(timeline)}.history`;
}
