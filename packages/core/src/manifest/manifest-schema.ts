import { z } from 'zod';
import { NAME } from '../config/schema.js';
import { BACKUP_ID_PATTERN } from '../util/ids.js';
import { isOwnArtifactKey } from './layout.js';
import { AGE_FORMAT, backupPrefix, MANIFEST_VERSION, type Manifest } from './manifest.js';

/** How far a manifest's createdAt may be from the time its backup id encodes (both are the run's start). */
const CREATED_TOLERANCE_MS = 2_000;
/** How far in the future of the reading host's clock a backup may have started (a clock a little ahead). */
export const FUTURE_TOLERANCE_MS = 3_600_000;

const SHA256 = /^[0-9a-f]{64}$/;
const size = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const digest = z.string().regex(SHA256, 'expected 64 lowercase hex digits');
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !/\p{Cc}/u.test(value), 'contains control characters');
const isoTime = z.iso.datetime({ offset: true }).max(40);
const name = z.string().regex(NAME, 'not a valid name');

const measured = z.object({ size, sha256: digest });

/** Only the type is ever acted on; the rest is shown (made terminal-safe where it is), so any text fits. */
const source = z.object({
  type: text(256).min(1),
  description: z.string().max(4096).optional(),
  engine: z.string().max(128).optional(),
  engineVersion: z.string().max(256).optional(),
  toolVersion: z.string().max(256).optional(),
  details: z.record(z.string().max(256), z.unknown()).optional(),
});

const artifact = z.object({
  key: z.string().max(512),
  format: text(64),
  extension: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, 'not a file extension'),
  compression: z.enum(['gzip', 'zstd', 'none']),
  size,
  sha256: digest,
  decoded: measured.optional(),
});

const encryption = z.object({
  format: z.literal(AGE_FORMAT),
  recipients: z
    .array(z.string().regex(/^age1[0-9a-z]{1,200}$/, 'not an age recipient'))
    .min(1)
    .max(64),
  plaintext: measured,
  sealed: z.string().max(1_048_576),
});

const manifestShape = z.object({
  manifestVersion: z.number().int().min(1).max(MANIFEST_VERSION),
  tool: z.object({ name: z.literal('tricopy'), version: text(64) }),
  job: name,
  backupId: z.string().regex(BACKUP_ID_PATTERN, 'not a tricopy backup id (YYYYMMDDTHHMMSSZ-xxxxxx)'),
  createdAt: isoTime,
  finishedAt: isoTime,
  source,
  artifact,
  tables: z
    .array(z.object({ name: z.string().max(1024), rows: size, exact: z.boolean() }))
    .max(200_000)
    .optional(),
  assertions: z
    .array(
      z.object({
        name: z.string().max(1024),
        sql: z.string().max(100_000),
        value: z.string().max(1_000_000).nullable(),
        error: z.string().max(100_000).optional(),
      }),
    )
    .max(10_000)
    .optional(),
  dumps: z.number().int().min(1).max(1000),
  copies: z.array(z.object({ destination: name, key: z.string().max(512) })).max(64),
  encryption: encryption.optional(),
});

export type CheckedManifest = z.infer<typeof manifestShape>;

/** Where a manifest was read from, and when: what it must agree with. */
export interface ManifestPlace {
  /** The folder it was found in, `JOB/BACKUP-ID/`. */
  readonly folder: string;
  readonly now: Date;
}

export type ManifestCheck =
  | { readonly ok: true; readonly manifest: Manifest }
  | { readonly ok: false; readonly problems: readonly string[] };

/** The manifest with only the fields tricopy knows, or every problem with it, each naming its field. */
export function checkManifest(value: unknown, place: ManifestPlace): ManifestCheck {
  const version = (value as { manifestVersion?: unknown } | null)?.manifestVersion;
  if (typeof version === 'number' && version > MANIFEST_VERSION)
    return fail([`manifest version ${version} is newer than this tricopy understands (upgrade tricopy)`]);
  const parsed = manifestShape.safeParse(value);
  if (!parsed.success)
    return fail(
      parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'manifest'}: ${i.message}`),
    );
  const problems = consistencyProblems(parsed.data, place);
  return problems.length > 0 ? fail(problems) : { ok: true, manifest: parsed.data as Manifest };
}

function fail(problems: readonly string[]): ManifestCheck {
  return { ok: false, problems };
}

/** What the fields must say of each other, of the folder and of the clock. */
function consistencyProblems(m: CheckedManifest, place: ManifestPlace): string[] {
  const problems: string[] = [];
  const folder = backupPrefix(m.job, m.backupId);
  if (folder !== place.folder)
    problems.push(`it says job ${m.job}, backup ${m.backupId}, but was found in ${quoted(place.folder)}`);
  if (!isOwnArtifactKey(m.job, m.backupId, m.artifact.key))
    problems.push(
      `artifact.key ${quoted(m.artifact.key)} is not a file in the backup's own folder ${folder}`,
    );
  const foreign = m.copies.find((c) => c.key !== m.artifact.key);
  if (foreign !== undefined)
    problems.push(`copies: the copy on ${foreign.destination} names another key, ${quoted(foreign.key)}`);
  const started = idTime(m.backupId);
  const created = Date.parse(m.createdAt);
  if (Math.abs(created - started) > CREATED_TOLERANCE_MS)
    problems.push(`createdAt ${m.createdAt} is not the time its backup id ${m.backupId} encodes`);
  if (Date.parse(m.finishedAt) < created) problems.push(`finishedAt ${m.finishedAt} is before createdAt`);
  if (started > place.now.getTime() + FUTURE_TOLERANCE_MS)
    problems.push(`backup ${m.backupId} claims to have started in the future`);
  return problems;
}

/** The start time a backup id encodes, to the millisecond: `20261122T020837Z-07b3f2` is 02:08:37.123 (0x07b). */
export function idTime(backupId: string): number {
  const [, y, mo, d, h, mi, s, ms] =
    /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z-([0-9a-f]{3})/.exec(backupId) ?? [];
  return Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s),
    Number.parseInt(ms ?? '', 16),
  );
}

/** An untrusted string inside a message: quoted, its newlines visible, cut short. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
}
