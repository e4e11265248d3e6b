import type { Retention } from '../config/schema.js';
import { parseDuration } from '../util/duration.js';

/** The keep rules of a retention policy (restic `forget` semantics). */
export type KeepRules = Pick<
  Retention,
  'keepLast' | 'keepHourly' | 'keepDaily' | 'keepWeekly' | 'keepMonthly' | 'keepYearly' | 'keepWithin'
>;

/** A job's retention: one for all its destinations, or one per destination. */
export interface RetentionOf {
  readonly retention?: Retention;
  readonly retentionByDestination?: Readonly<Record<string, Retention>>;
}

/** The rules that apply on `destination` (without one: the job's own, else the first per-destination ones). */
export function rulesFor(job: RetentionOf, destination: string | undefined): Retention | undefined {
  if (destination === undefined) {
    return job.retention ?? Object.values(job.retentionByDestination ?? {})[0];
  }
  return job.retentionByDestination?.[destination] ?? job.retention;
}

export interface Snapshot {
  readonly id: string;
  /** When it says it was taken (by a clock that may have been wrong). */
  readonly time: Date;
  /** Its place in the catalog's own order (larger: recorded later); when given, it decides which is newer. */
  readonly seq?: number;
}

export type KeepReason = 'last' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly' | 'within';

export interface RetentionDecision<T extends Snapshot> {
  /** Newest first, each with every rule that keeps it. */
  readonly keep: readonly { readonly snapshot: T; readonly reasons: readonly KeepReason[] }[];
  /** Newest first. */
  readonly remove: readonly T[];
}

type Bucketer = (parts: LocalParts) => number;

const BUCKETS: readonly {
  reason: Exclude<KeepReason, 'last' | 'within'>;
  rule: keyof KeepRules;
  of: Bucketer;
}[] = [
  {
    reason: 'hourly',
    rule: 'keepHourly',
    of: (p) => p.year * 1_000_000 + p.month * 10_000 + p.day * 100 + p.hour,
  },
  { reason: 'daily', rule: 'keepDaily', of: (p) => p.year * 10_000 + p.month * 100 + p.day },
  { reason: 'weekly', rule: 'keepWeekly', of: (p) => p.isoYear * 100 + p.isoWeek },
  { reason: 'monthly', rule: 'keepMonthly', of: (p) => p.year * 100 + p.month },
  { reason: 'yearly', rule: 'keepYearly', of: (p) => p.year },
];

/** True when the rules name at least one keep rule; an empty policy removes nothing (as restic refuses to). */
export function hasKeepRules(rules: KeepRules): boolean {
  return (
    rules.keepLast !== undefined ||
    rules.keepHourly !== undefined ||
    rules.keepDaily !== undefined ||
    rules.keepWeekly !== undefined ||
    rules.keepMonthly !== undefined ||
    rules.keepYearly !== undefined ||
    rules.keepWithin !== undefined
  );
}

/**
 * Grandfather-father-son selection as restic's `forget` documents it. Snapshots are walked newest first (by `seq`
 * when they have one, else by time); keepLast keeps the n newest; each calendar rule (hourly, daily, weekly, monthly,
 * yearly) keeps the newest snapshot of each of the n most recent periods that have one; keepWithin keeps everything
 * taken within that duration of the NEWEST snapshot (not of now). A snapshot kept by any rule is kept. Periods are
 * computed in `timeZone`. A policy without any keep rule keeps everything.
 *
 * A clock that jumped is not trusted for keepWithin: with `now`, the newest snapshot's time counts as at most
 * `now`, and an older snapshot dated after it is not "within" (it would otherwise be kept by a date it cannot
 * have); the newest itself always is.
 */
export function applyRetention<T extends Snapshot>(
  snapshots: readonly T[],
  rules: KeepRules,
  timeZone?: string,
  now?: Date,
): RetentionDecision<T> {
  const sorted = [...snapshots].sort(newestFirst);
  if (!hasKeepRules(rules))
    return { keep: sorted.map((snapshot) => ({ snapshot, reasons: [] })), remove: [] };

  const local = localPartsIn(timeZone);
  const counters = BUCKETS.map((b) => ({
    ...b,
    left: (rules[b.rule] as number | undefined) ?? 0,
    last: NaN,
  }));
  const withinMs = rules.keepWithin === undefined ? undefined : parseDuration(rules.keepWithin);
  const newest = withinReference(sorted[0], now);

  const keep: { snapshot: T; reasons: KeepReason[] }[] = [];
  const remove: T[] = [];
  sorted.forEach((snapshot, index) => {
    const reasons: KeepReason[] = [];
    if (rules.keepLast !== undefined && index < rules.keepLast) reasons.push('last');
    const parts = local(snapshot.time);
    for (const counter of counters) {
      if (counter.left <= 0) continue;
      const bucket = counter.of(parts);
      if (bucket !== counter.last) {
        counter.last = bucket;
        counter.left--;
        reasons.push(counter.reason);
      }
    }
    if (withinMs !== undefined && (index === 0 || isWithin(snapshot, newest, withinMs)))
      reasons.push('within');
    if (reasons.length > 0) keep.push({ snapshot, reasons });
    else remove.push(snapshot);
  });
  return { keep, remove };
}

/** Taken at most `withinMs` before `reference`, and not after it (a date after it is a clock that was wrong). */
function isWithin(snapshot: Snapshot, reference: number | undefined, withinMs: number): boolean {
  const age = reference === undefined ? undefined : reference - snapshot.time.getTime();
  return age !== undefined && age >= 0 && age < withinMs;
}

function newestFirst(a: Snapshot, b: Snapshot): number {
  if (a.seq !== undefined && b.seq !== undefined) return b.seq - a.seq;
  return b.time.getTime() - a.time.getTime() || (a.id < b.id ? 1 : -1);
}

/** The time keepWithin counts back from: the newest snapshot's, but never later than `now`. */
function withinReference(newest: Snapshot | undefined, now: Date | undefined): number | undefined {
  if (newest === undefined) return undefined;
  const time = newest.time.getTime();
  return now === undefined ? time : Math.min(time, now.getTime());
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  isoYear: number;
  isoWeek: number;
}

function localPartsIn(timeZone: string | undefined): (time: Date) => LocalParts {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
  });
  return (time) => {
    const parts = format.formatToParts(time);
    const value = (type: string) => Number(parts.find((p) => p.type === type)?.value);
    const year = value('year');
    const month = value('month');
    const day = value('day');
    const hour = value('hour');
    return { year, month, day, hour, ...isoWeek(year, month, day) };
  };
}

/** ISO 8601 week-numbering year and week of a calendar date. */
export function isoWeek(year: number, month: number, day: number): { isoYear: number; isoWeek: number } {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const isoYear = date.getUTCFullYear();
  const firstDay = Date.UTC(isoYear, 0, 1);
  return { isoYear, isoWeek: Math.ceil(((date.getTime() - firstDay) / 86_400_000 + 1) / 7) };
}
