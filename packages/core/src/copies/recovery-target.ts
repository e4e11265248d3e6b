import { UsageError } from '../util/errors.js';
import type { BaseBackup } from './base-backup.js';
import { type BaseReach, baseReach, type RecoveryWindow, recoveryWindow } from './recovery-window.js';
import type { ChainCopy, ChainFile, WalGap } from './wal-chain.js';

/** A moment to recover to, as given: its instant, and the text PostgreSQL reads as recovery_target_time. */
export interface RecoveryTime {
  readonly at: Date;
  readonly text: string;
}

const TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d{1,6})?(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)?$/;

const EXAMPLE = '"2026-12-06 10:15:00+00" or 2026-12-06T10:15:00Z';

/**
 * Parses `--time` strictly: an ISO 8601 date and time with seconds and an offset (`Z`, `+00`, `+02:00`), `T` or a
 * space between date and time. A time without an offset is refused: which zone the server meant is not guessed.
 */
export function parseRecoveryTime(text: string): RecoveryTime {
  const match = TIME.exec(text.trim());
  if (match === null)
    throw new UsageError(`--time ${JSON.stringify(text)}: not a date and time; write it as ${EXAMPLE}`);
  const [, date, time, fraction = '', zulu, sign, hours, minutes = '00'] = match;
  if (zulu === undefined && sign === undefined) {
    throw new UsageError(
      `--time ${JSON.stringify(text)} has no UTC offset: add one, e.g. "${date} ${time}+00" for UTC`,
    );
  }
  const offset = zulu === undefined ? `${sign}${hours}:${minutes}` : '+00:00';
  const at = new Date(`${date}T${time}${fraction.slice(0, 4)}${offset}`);
  if (Number.isNaN(at.getTime()) || !sameCalendarDay(at, date as string, offset)) {
    throw new UsageError(`--time ${JSON.stringify(text)}: no such date or time; write it as ${EXAMPLE}`);
  }
  return { at, text: `${date} ${time}${fraction}${offset}` };
}

/** Date() rolls 2026-02-30 over into March: the day read back in the given offset must be the one written. */
function sameCalendarDay(at: Date, date: string, offset: string): boolean {
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h, m] = offset.slice(1).split(':').map(Number) as [number, number];
  const local = new Date(at.getTime() + sign * (h * 60 + m) * 60_000);
  return local.toISOString().slice(0, 10) === date;
}

export type RecoveryTarget = { readonly time: RecoveryTime } | { readonly latest: true };

export interface PitrChoice {
  readonly base: BaseBackup;
  readonly reach: BaseReach;
  readonly window: RecoveryWindow;
  /** Said with --latest when the base's WAL has a gap: replay stops there, newer WAL cannot be reached. */
  readonly warning?: string;
}

/**
 * The base backup to restore for `target`: the newest one that stopped at or before the target and whose WAL, with
 * a verified copy of each file, reaches the target with no gap. A target outside the window, or a gap, is a
 * UsageError naming the window or the first gap.
 */
export function choosePitrBase(
  job: string,
  bases: readonly BaseBackup[],
  files: readonly ChainFile[],
  copies: readonly ChainCopy[],
  target: RecoveryTarget,
): PitrChoice {
  const window = recoveryWindow(bases, files, copies);
  if (window === undefined)
    throw new UsageError(`job ${job} has no base backup with a good copy: run tricopy backup ${job} first`);
  const newestFirst = [...bases].sort((a, b) =>
    a.stopTime < b.stopTime ? 1 : a.stopTime > b.stopTime ? -1 : 0,
  );
  if ('latest' in target) return latestChoice(newestFirst[0] as BaseBackup, files, copies, window);
  const at = target.time.at.toISOString();
  const shown = `${window.earliest} .. ${window.latest}`;
  if (at < window.earliest)
    throw new UsageError(
      `--time ${target.time.text} is before job ${job}'s recovery window (${shown}): choose a time inside it`,
    );
  if (at > window.latest)
    throw new UsageError(
      `--time ${target.time.text} is after job ${job}'s recovery window (${shown}): choose a time inside it, or --latest`,
    );
  let refused: BaseReach | undefined;
  for (const base of newestFirst.filter((b) => b.stopTime <= at)) {
    const reach = baseReach(base, files, copies);
    if (reach.latest >= at && reach.missingHistory.length === 0) return { base, reach, window };
    refused ??= reach;
  }
  throw new UsageError(
    `no base backup of job ${job} has WAL reaching ${target.time.text}: ${whyShort(refused)}`,
  );
}

function latestChoice(
  base: BaseBackup,
  files: readonly ChainFile[],
  copies: readonly ChainCopy[],
  window: RecoveryWindow,
): PitrChoice {
  const reach = baseReach(base, files, copies);
  if (reach.missingHistory.length > 0)
    throw new UsageError(`base backup ${base.backupId}: ${whyShort(reach)}`);
  const gap = reach.firstGap;
  return gap === undefined || gap.after === null
    ? { base, reach, window }
    : { base, reach, window, warning: `replay stops at ${gap.after}: ${gapText(gap)}` };
}

function whyShort(reach: BaseReach | undefined): string {
  if (reach === undefined) return 'none stopped before that time';
  if (reach.missingHistory.length > 0)
    return `timeline history ${reach.missingHistory.join(', ')} has no verified copy`;
  if (reach.firstGap !== undefined) return gapText(reach.firstGap);
  return `its WAL is stored up to ${reach.latest} only`;
}

function gapText(gap: WalGap): string {
  return `WAL ${gap.missing} has no verified copy on any destination (the WAL resumes at ${gap.resumesAt})`;
}
