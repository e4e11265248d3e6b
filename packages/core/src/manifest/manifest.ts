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
  /** Of an encrypted backup, only `type`: the rest travels in `encryption.sealed`. */
  readonly source: {
    readonly type: string;
    readonly description?: string;
    readonly engine?: string;
    readonly engineVersion?: string;
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
    /**
     * What the artifact decompresses to: the source's own bytes, proven in the stream. Plaintext backups only (an
     * encrypted one keeps it in `encryption.sealed`).
     */
    readonly decoded?: { readonly size: number; readonly sha256: string };
  };
  readonly tables?: readonly TableCount[];
  /** The values of the job's `sameAsBackup` assertions, read from the source just before the dump. */
  readonly assertions?: readonly RecordedAssertion[];
  /** How many times the database was read for this backup (1 unless no copy survived the first read). */
  readonly dumps: number;
  /** The destinations that held a verified copy when the manifest was written. */
  readonly copies: readonly { readonly destination: string; readonly key: string }[];
  /** Set when the artifact is age-encrypted (its size and sha256 above are the ciphertext's). */
  readonly encryption?: ManifestEncryption;
}

/** A `sameAsBackup` assertion's query as run on the source at backup time: its value, or why it has none. */
export interface RecordedAssertion {
  readonly name: string;
  readonly sql: string;
  readonly value: string | null;
  readonly error?: string;
}

export const AGE_FORMAT = 'age-encryption.org/v1';

export interface ManifestEncryption {
  readonly format: typeof AGE_FORMAT;
  /** The X25519 recipients (public keys, `age1…`) whose identities open the artifact and `sealed`. */
  readonly recipients: readonly string[];
  /** The artifact before encryption (what `age -d` gives back): checked after decryption on restore. */
  readonly plaintext: { readonly size: number; readonly sha256: string };
  /** The source's description, details and tables (SealedFacts as JSON), age-encrypted in the ASCII armor. */
  readonly sealed: string;
}

/** What an encrypted backup's manifest keeps only in its sealed section. */
export interface SealedFacts {
  readonly source: Manifest['source'];
  readonly tables?: readonly TableCount[];
  readonly assertions?: readonly RecordedAssertion[];
  /** What the decrypted artifact decompresses to (see `Manifest['artifact']['decoded']`). */
  readonly decoded?: { readonly size: number; readonly sha256: string };
}

export function backupPrefix(job: string, backupId: string): string {
  return `${job}/${backupId}/`;
}

export function manifestKey(job: string, backupId: string): string {
  return `${backupPrefix(job, backupId)}${MANIFEST_NAME}`;
}
