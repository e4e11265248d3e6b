import {
  DEFAULT_WAL_SEGMENT_SIZE,
  historyName,
  parseWalName,
  segmentName,
  segmentNumber,
} from './wal-names.js';

/** What the chain rules need of a stored WAL file (a catalog WalSegmentRow has it). */
export interface ChainFile {
  readonly name: string;
  readonly timeline: number;
  readonly kind: 'segment' | 'history';
  readonly rawSize: number;
  readonly storedAt: string;
}

/** What the chain rules need of one copy of a WAL file (a catalog WalCopyRow has it). */
export interface ChainCopy {
  readonly name: string;
  readonly destination: string;
  readonly status: string;
}

/** Segments missing between two stored ones (`after` null: the first segment asked for is missing). */
export interface WalGap {
  readonly after: string | null;
  /** The first missing segment, on the timeline being followed. */
  readonly missing: string;
  /** The next stored segment, where the WAL goes on after the gap. */
  readonly resumesAt: string;
}

export interface WalWalk {
  /** The segments from the start on, in replay order, up to the first gap. */
  readonly chain: readonly ChainFile[];
  /** Every segment from the start on, past gaps too. */
  readonly walked: readonly ChainFile[];
  readonly gaps: readonly WalGap[];
  /** History files of the timelines walked past the first (a timeline > 1 needs its own) that are not stored. */
  readonly missingHistory: readonly string[];
}

/** The segment size of the stored WAL: every stored segment is one whole segment (initdb --wal-segsize). */
export function walSegmentSize(files: readonly ChainFile[]): number {
  return files.find((f) => f.kind === 'segment' && f.rawSize > 0)?.rawSize ?? DEFAULT_WAL_SEGMENT_SIZE;
}

/**
 * Follows the WAL from segment `from` in replay order: at each segment number the highest timeline not below the
 * one being followed (after a promotion the new timeline's segments replace the old one's), noting every gap.
 */
export function walkWal(files: readonly ChainFile[], from: string): WalWalk {
  const size = walSegmentSize(files);
  const start = parseWalName(from);
  const startNumber = segmentNumber(from, size);
  if (start?.kind !== 'segment' || startNumber === undefined)
    throw new Error(`not a WAL segment name: ${from}`);
  const candidates = segmentsByNumber(files, startNumber, size);
  const walk = { chain: [] as ChainFile[], walked: [] as ChainFile[], gaps: [] as WalGap[] };
  let timeline = start.timeline;
  let expected = startNumber;
  for (const number of [...candidates.keys()].sort((a, b) => a - b)) {
    const next = highestFrom(candidates.get(number) ?? [], timeline);
    if (next === undefined) continue;
    if (number !== expected) {
      walk.gaps.push({
        after: walk.walked.at(-1)?.name ?? null,
        missing: segmentName(timeline, expected, size),
        resumesAt: next.name,
      });
    }
    walk.walked.push(next);
    if (walk.gaps.length === 0) walk.chain.push(next);
    timeline = next.timeline;
    expected = number + 1;
  }
  if (walk.walked.length === 0) walk.gaps.push({ after: null, missing: from, resumesAt: from });
  return { ...walk, missingHistory: missingHistory(files, walk.walked) };
}

function segmentsByNumber(files: readonly ChainFile[], from: number, size: number): Map<number, ChainFile[]> {
  const byNumber = new Map<number, ChainFile[]>();
  for (const file of files) {
    const number = file.kind === 'segment' ? segmentNumber(file.name, size) : undefined;
    if (number === undefined || number < from) continue;
    byNumber.set(number, [...(byNumber.get(number) ?? []), file]);
  }
  return byNumber;
}

function highestFrom(files: readonly ChainFile[], timeline: number): ChainFile | undefined {
  let best: ChainFile | undefined;
  for (const file of files)
    if (file.timeline >= timeline && (best?.timeline ?? -1) < file.timeline) best = file;
  return best;
}

function missingHistory(files: readonly ChainFile[], walked: readonly ChainFile[]): string[] {
  const stored = new Set(files.filter((f) => f.kind === 'history').map((f) => f.name));
  const timelines = [...new Set(walked.map((f) => f.timeline))].filter((t) => t > 1).sort((a, b) => a - b);
  return timelines.map(historyName).filter((name) => !stored.has(name));
}

/** The WAL files that have a verified copy on at least one destination: the ones a restore can fetch. */
export function fetchableFiles(files: readonly ChainFile[], copies: readonly ChainCopy[]): ChainFile[] {
  const verified = new Set(copies.filter((c) => c.status === 'verified').map((c) => c.name));
  return files.filter((f) => verified.has(f.name));
}

/** WAL files from a walk without a verified copy on a destination: how many, and the first few. */
export interface UnverifiedWal {
  readonly destination: string;
  readonly count: number;
  readonly first: readonly string[];
}

const FIRST_FEW = 5;

/** For each destination of the job, the walked segments and needed history files it holds no verified copy of. */
export function unverifiedOn(
  destinations: readonly string[],
  needed: readonly string[],
  copies: readonly ChainCopy[],
): UnverifiedWal[] {
  const verified = new Set(
    copies.filter((c) => c.status === 'verified').map((c) => `${c.destination}\u0000${c.name}`),
  );
  return destinations.flatMap((destination) => {
    const missing = needed.filter((name) => !verified.has(`${destination}\u0000${name}`));
    return missing.length === 0
      ? []
      : [{ destination, count: missing.length, first: missing.slice(0, FIRST_FEW) }];
  });
}

/** A job's WAL as check and verify judge it: continuous from `from` on, with history files, on every destination. */
export interface WalContinuity {
  readonly from: string;
  /** Nothing is stored from `from` on yet (the archiver has not closed the base backup's first segment). */
  readonly waiting: boolean;
  /** The newest segment stored (past gaps too); null when none is. */
  readonly newest: string | null;
  readonly segments: number;
  readonly gaps: readonly WalGap[];
  readonly missingHistory: readonly string[];
  readonly unverified: readonly UnverifiedWal[];
  readonly ok: boolean;
}

export function walContinuity(
  files: readonly ChainFile[],
  copies: readonly ChainCopy[],
  destinations: readonly string[],
  from: string,
): WalContinuity {
  const walk = walkWal(files, from);
  const histories = new Set(files.filter((f) => f.kind === 'history').map((f) => f.name));
  const neededHistory = [...new Set(walk.walked.map((f) => f.timeline))]
    .filter((t) => t > 1)
    .map(historyName)
    .filter((name) => histories.has(name));
  const unverified = unverifiedOn(
    destinations,
    [...neededHistory, ...walk.walked.map((f) => f.name)],
    copies,
  );
  const waiting = walk.walked.length === 0;
  const gaps = waiting ? [] : walk.gaps;
  return {
    from,
    waiting,
    newest: walk.walked.at(-1)?.name ?? null,
    segments: walk.walked.length,
    gaps,
    missingHistory: walk.missingHistory,
    unverified,
    ok: gaps.length === 0 && walk.missingHistory.length === 0 && unverified.length === 0,
  };
}

/** One line per problem of a continuity check, for people. */
export function continuityProblems(c: WalContinuity): string[] {
  return [
    ...c.gaps.map((g) =>
      g.after === null
        ? `WAL ${g.missing} is not stored (the oldest base backup needs it from there on)`
        : `WAL gap after ${g.after}: ${g.missing} is not stored (the WAL resumes at ${g.resumesAt})`,
    ),
    ...c.missingHistory.map((name) => `timeline history ${name} is not stored`),
    ...c.unverified.map(
      (u) =>
        `${u.count} WAL file(s) without a verified copy on ${u.destination}: ${u.first.join(', ')}${u.count > u.first.length ? ', …' : ''}`,
    ),
  ];
}
