import type { TableCount } from '@tricopy/contract';
import type { JobSpec } from '../config/specs.js';
import { formatBytes } from '../util/duration.js';

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
const setting = (share: number) => `${Number((share * 100).toFixed(2))}%`;

/** What is compared of a backup: its artifact's size and compression, and its table counts when readable. */
/** What choosing the backup to compare with needs of a catalog row. */
export interface Candidate {
  readonly id: string;
  readonly seq: number;
  readonly sourceType: string;
  readonly size: number | null;
  readonly flagged: string | null;
  readonly confirmedAt: string | null;
}

/**
 * The backup a new one is compared with: the newest earlier good one of the same source type (a job that moved from
 * PostgreSQL to MariaDB has other tables, not lost ones) that is not itself flagged and unconfirmed. `good` is newest
 * first.
 */
export function previousComparable<T extends Candidate>(
  good: readonly T[],
  current: Candidate,
): T | undefined {
  return good.find(
    (b) =>
      b.seq < current.seq &&
      b.sourceType === current.sourceType &&
      b.size !== null &&
      (b.flagged === null || b.confirmedAt !== null),
  );
}

export interface ComparedBackup {
  readonly id: string;
  readonly size: number;
  readonly compression: string;
  readonly tables?: readonly TableCount[] | undefined;
}

/** The thresholds, as shares (0.5 = 50%); 0 or undefined turns a check off. */
export interface AnomalyLimits {
  /** A table that lost more than this share of its rows. */
  readonly tableShrink: number;
  /** Tables with fewer rows than this in the previous backup are not compared. */
  readonly minRows: number;
  /** A dump smaller than `keep` of the previous one; `name` is the setting, as the reason quotes it. */
  readonly sizeShrink?: { readonly keep: number; readonly name: string } | undefined;
  /** A dump that grew by more than this share. */
  readonly sizeGrowth?: number | undefined;
}

/** A job's limits: its `anomalies`, with `retention.shrinkThreshold` (default 0.5) unless `sizeShrink` is set. */
export function anomalyLimits(job: Pick<JobSpec, 'anomalies' | 'retention'>): AnomalyLimits {
  const { anomalies } = job;
  const threshold = job.retention?.shrinkThreshold ?? 0.5;
  const sizeShrink = anomalies?.sizeShrink;
  return {
    tableShrink: anomalies?.tableShrink ?? 0.5,
    minRows: anomalies?.minRows ?? 100,
    sizeShrink:
      sizeShrink === undefined
        ? { keep: threshold, name: `shrinkThreshold ${threshold}` }
        : // sizeShrink 0 turns the check off, as shrinkThreshold 0 does.
          { keep: sizeShrink === 0 ? 0 : 1 - sizeShrink, name: `sizeShrink ${setting(sizeShrink)}` },
    sizeGrowth: anomalies?.sizeGrowth,
  };
}

export interface Anomaly {
  readonly kind: 'table-shrunk' | 'table-missing' | 'size-shrunk' | 'size-grown';
  /** The table, for the table kinds. */
  readonly table?: string;
  readonly reason: string;
}

/** What is anomalous about `current` against `previous`, the job's previous good backup: empty when nothing is. */
export function findAnomalies(
  current: ComparedBackup,
  previous: ComparedBackup,
  limits: AnomalyLimits,
): Anomaly[] {
  return [...sizeAnomalies(current, previous, limits), ...tableAnomalies(current, previous, limits)];
}

function sizeAnomalies(current: ComparedBackup, previous: ComparedBackup, limits: AnomalyLimits): Anomaly[] {
  // Another compression makes sizes incomparable; an empty previous dump has no share to lose or gain.
  if (previous.size === 0 || previous.compression !== current.compression) return [];
  const ratio = current.size / previous.size;
  const sizes = `${formatBytes(current.size)} is ${percent(ratio)} of the previous backup ${previous.id} (${formatBytes(previous.size)})`;
  const { sizeShrink, sizeGrowth } = limits;
  if (sizeShrink !== undefined && sizeShrink.keep > 0 && ratio < sizeShrink.keep)
    return [{ kind: 'size-shrunk', reason: `${sizes}, below ${sizeShrink.name}` }];
  if (sizeGrowth !== undefined && sizeGrowth > 0 && ratio > 1 + sizeGrowth)
    return [{ kind: 'size-grown', reason: `${sizes}, above sizeGrowth ${setting(sizeGrowth)}` }];
  return [];
}

function tableAnomalies(current: ComparedBackup, previous: ComparedBackup, limits: AnomalyLimits): Anomaly[] {
  if (limits.tableShrink <= 0 || current.tables === undefined || previous.tables === undefined) return [];
  const now = new Map(current.tables.map((t) => [t.name, t]));
  const found: Anomaly[] = [];
  for (const before of previous.tables) {
    // An estimated count (a large MySQL table's) moves on its own: only a disappearance is read from it.
    if (before.rows === 0 || before.rows < limits.minRows) continue;
    const after = now.get(before.name);
    if (after === undefined) {
      found.push({
        kind: 'table-missing',
        table: before.name,
        reason: `table ${before.name} disappeared (${before.rows} rows in backup ${previous.id})`,
      });
    } else if (after.exact && before.exact && after.rows < before.rows * (1 - limits.tableShrink)) {
      const rows = after.rows;
      found.push({
        kind: 'table-shrunk',
        table: before.name,
        reason:
          `table ${before.name} lost ${percent(1 - rows / before.rows)} of its rows (${before.rows} → ${rows} since ` +
          `backup ${previous.id}), above tableShrink ${setting(limits.tableShrink)}`,
      });
    }
  }
  return found;
}

/** The flag's text: every anomaly's reason, in one line. */
export function describeAnomalies(anomalies: readonly Anomaly[]): string {
  return anomalies.map((a) => a.reason).join('; ');
}
