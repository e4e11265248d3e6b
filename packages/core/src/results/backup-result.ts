// What one backup run reports: read by the scheduler, the notifier, the shrink check and the CLI.
import type { PolicyStatus } from '../copies/policy.js';
import type { CompressionKind } from '../pipeline/compression.js';

export type RunStatus = 'ok' | 'degraded' | 'failed';

export interface CopyResult {
  readonly destination: string;
  readonly status: 'verified' | 'failed';
  readonly key: string;
  readonly location?: string;
  readonly size?: number;
  readonly sha256?: string;
  readonly attempts: number;
  readonly error?: string;
}

export interface JobResult {
  readonly job: string;
  readonly backupId: string;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly size?: number;
  readonly sha256?: string;
  readonly compression?: CompressionKind;
  /** Whether the artifact is age-encrypted, and to which recipients. */
  readonly encrypted?: boolean;
  readonly recipients?: readonly string[];
  readonly copies: readonly CopyResult[];
  readonly error?: string;
  /** 3-2-1 status of the verified copies. */
  readonly policy: PolicyStatus;
  /** Why the backup is flagged as anomalous (set after the run by `flagIfAnomalous`), if it is. */
  readonly flagged?: string;
}

export interface BackupEvents {
  onJobStart?(info: {
    job: string;
    backupId: string;
    destinations: readonly string[];
    bytes: () => number;
  }): void;
  onCopyDone?(job: string, copy: CopyResult): void;
  onJobDone?(result: JobResult): void;
}
