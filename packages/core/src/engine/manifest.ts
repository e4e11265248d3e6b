import type { TableCount } from '@tricopy/contract';
import type { CompressionKind } from '../pipeline/compression.js';

export const MANIFEST_NAME = 'manifest.json';
export const MANIFEST_VERSION = 1;

/**
 * The JSON sidecar stored beside every artifact on every destination. It holds everything the catalog knows of the
 * backup, so the catalog can be rebuilt from any one destination. Never secrets.
 */
export interface Manifest {
  readonly manifestVersion: number;
  readonly tool: { readonly name: 'tricopy'; readonly version: string };
  readonly job: string;
  readonly backupId: string;
  readonly createdAt: string;
  readonly finishedAt: string;
  readonly source: {
    readonly type: string;
    readonly description: string;
    readonly engine: string;
    readonly engineVersion: string;
    readonly toolVersion?: string;
    readonly details?: Readonly<Record<string, unknown>>;
  };
  readonly artifact: {
    readonly key: string;
    readonly format: string;
    readonly extension: string;
    readonly compression: CompressionKind;
    readonly size: number;
    readonly sha256: string;
  };
  readonly tables?: readonly TableCount[];
  /** How many times the database was read for this backup (1 unless no copy survived the first read). */
  readonly dumps: number;
  /** The destinations that held a verified copy when the manifest was written. */
  readonly copies: readonly { readonly destination: string; readonly key: string }[];
}

export function backupPrefix(job: string, backupId: string): string {
  return `${job}/${backupId}/`;
}

export function manifestKey(job: string, backupId: string): string {
  return `${backupPrefix(job, backupId)}${MANIFEST_NAME}`;
}

export function parseManifest(text: string, where: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${where}: manifest is not valid JSON`);
  }
  const m = value as Partial<Manifest>;
  if (
    typeof m !== 'object' ||
    m === null ||
    typeof m.manifestVersion !== 'number' ||
    typeof m.job !== 'string' ||
    typeof m.backupId !== 'string' ||
    typeof m.artifact?.sha256 !== 'string' ||
    typeof m.artifact.size !== 'number'
  ) {
    throw new Error(`${where}: not a tricopy manifest`);
  }
  if (m.manifestVersion > MANIFEST_VERSION) {
    throw new Error(`${where}: manifest version ${m.manifestVersion} is newer than this tricopy understands`);
  }
  return m as Manifest;
}
