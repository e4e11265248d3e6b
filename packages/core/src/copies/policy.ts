import type { CopyStatus } from '../catalog/catalog.js';
import type { LoadedConfig } from '../config/load.js';
import type { Policy } from '../config/schema.js';
import { countedCopies } from './copy-state.js';

export interface PolicyStatus {
  readonly copies: number;
  readonly media: number;
  readonly offsite: number;
  readonly met: boolean;
  /** e.g. "2 copies of 3; 1 medium of 2; 0 offsite of 1" — only the parts that fall short. */
  readonly shortfall: string;
  readonly summary: string;
}

/** Where the config puts a destination, as far as 3-2-1 goes. */
export interface Placement {
  readonly media: string;
  readonly offsite: boolean;
}

/** What a backup's 3-2-1 status needs of the config: where each destination is, and the policy. */
export interface PolicyConfig {
  readonly destinations: ReadonlyMap<string, Placement>;
  readonly policy: Policy;
}

/** The 3-2-1 status of a set of copies (the source database itself is not counted as a copy). */
export function evaluatePolicy(placements: readonly Placement[], policy: Policy): PolicyStatus {
  const copies = placements.length;
  const media = new Set(placements.map((p) => p.media)).size;
  const offsite = placements.filter((p) => p.offsite).length;
  const parts = [
    { have: copies, want: policy.copies, one: 'copy', many: 'copies' },
    { have: media, want: policy.media, one: 'medium', many: 'media' },
    { have: offsite, want: policy.offsite, one: 'offsite', many: 'offsite' },
  ];
  const describe = (p: (typeof parts)[number]) => `${p.have} ${p.have === 1 ? p.one : p.many} of ${p.want}`;
  const short = parts.filter((p) => p.have < p.want);
  return {
    copies,
    media,
    offsite,
    met: short.length === 0,
    shortfall: short.map(describe).join('; '),
    summary: parts.map(describe).join('; '),
  };
}

/**
 * A backup's 3-2-1 status, the one `list`, the dashboard, metrics, backup and repair show: its verified copies on
 * destinations the config still has (a destination removed from the config has no known medium: its copy is not
 * counted).
 */
export function backupPolicy(
  copies: readonly { readonly status: CopyStatus; readonly destination: string }[],
  config: PolicyConfig,
): PolicyStatus {
  const placements = countedCopies(copies).flatMap((copy) => {
    const placement = config.destinations.get(copy.destination);
    return placement === undefined ? [] : [placement];
  });
  return evaluatePolicy(placements, config.policy);
}

/** A job's 3-2-1 status by its configured destinations, as if every copy were written. */
export function jobPolicy(config: LoadedConfig, jobName: string): PolicyStatus {
  const job = config.jobs.get(jobName);
  if (job === undefined) throw new Error(`unknown job ${jobName}`);
  const placements = job.destinations.map((name) => {
    const spec = config.destinations.get(name);
    if (spec === undefined) throw new Error(`unknown destination ${name}`);
    return { media: spec.media, offsite: spec.offsite };
  });
  return evaluatePolicy(placements, config.policy);
}
