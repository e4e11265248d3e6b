import { assertSafePrefix } from '@tricopy/contract';
import { z } from 'zod';

const MiB = 1024 * 1024;
/** S3 allows at most 10,000 parts of at least 5 MiB (except the last) and objects up to 5 TiB. */
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PARTS = 10_000;
export const MAX_OBJECT_SIZE = 5 * 1024 * 1024 * MiB;
/**
 * The smallest automatic part size, S3's minimum: up to 20 MiB of memory per upload with the default queueSize
 * (8 MiB parts held up to 32 MiB, and measured 13 MiB more peak RSS at the same speed over a 200 Mbit/s link).
 */
export const DEFAULT_PART_SIZE = MIN_PART_SIZE;
/** The part size when nothing is known of the size (a first backup whose source gives no estimate): objects up to 160 GiB. */
export const FIRST_BACKUP_PART_SIZE = 16 * MiB;
const MAX_PART_SIZE = 5 * 1024 * MiB;

/**
 * The part size for one upload: the configured one, else 5 MiB grown (in whole MiB) until 10,000 parts hold the
 * exact size or four times the hinted size, so a database may quadruple between backups; 16 MiB with neither.
 */
export function choosePartSize(configured: number | undefined, size?: number, sizeHint?: number): number {
  if (configured !== undefined) return configured;
  if (size === undefined && sizeHint === undefined) return FIRST_BACKUP_PART_SIZE;
  const needed = size ?? (sizeHint as number) * 4;
  const fitting = Math.ceil(needed / MAX_PARTS / MiB) * MiB;
  return Math.min(MAX_PART_SIZE, Math.max(DEFAULT_PART_SIZE, fitting));
}

export const s3OptionsSchema = z
  .strictObject({
    bucket: z.string().min(3).max(63).describe('Bucket name'),
    prefix: z
      .string()
      .default('')
      .superRefine((prefix, context) => {
        try {
          assertSafePrefix(prefix);
        } catch {
          context.addIssue({
            code: 'custom',
            message: `"${prefix}" is not a usable key prefix: no leading "/", no "//", no "." or ".." segments`,
          });
        }
      })
      .describe('Key prefix inside the bucket, e.g. "backups/" (a trailing "/" is added when missing)'),
    region: z
      .string()
      .min(1)
      .default('us-east-1')
      .describe('AWS region (S3-compatible stores usually accept us-east-1)'),
    endpoint: z
      .url()
      .optional()
      .describe('Endpoint of an S3-compatible store, e.g. https://minio.example:9000'),
    forcePathStyle: z
      .boolean()
      .default(false)
      .describe('Address buckets as https://endpoint/bucket (most S3-compatible stores need it)'),
    accessKeyId: z
      .string()
      .min(1)
      .optional()
      .describe('Access key id; omit to use the standard AWS credential chain'),
    secretAccessKey: z
      .string()
      .min(1)
      .optional()
      .describe('Secret access key (secret: use an environment variable)'),
    sessionToken: z.string().min(1).optional().describe('Session token for temporary credentials (secret)'),
    storageClass: z
      .enum([
        'STANDARD',
        'REDUCED_REDUNDANCY',
        'STANDARD_IA',
        'ONEZONE_IA',
        'INTELLIGENT_TIERING',
        'GLACIER',
        'DEEP_ARCHIVE',
        'GLACIER_IR',
      ])
      .optional()
      .describe(
        'Storage class of stored objects (GLACIER/DEEP_ARCHIVE copies cannot be read back without a restore)',
      ),
    serverSideEncryption: z
      .enum(['AES256', 'aws:kms', 'aws:kms:dsse'])
      .optional()
      .describe('Server-side encryption to request'),
    sseKmsKeyId: z.string().min(1).optional().describe('KMS key id when serverSideEncryption is aws:kms'),
    partSize: z
      .number()
      .int()
      .min(MIN_PART_SIZE)
      .max(5 * 1024 * MiB)
      .optional()
      .describe(
        'Multipart part size in bytes. Default: automatic — 5 MiB, grown so that 4× the previous backup fits in ' +
          '10,000 parts (16 MiB when neither a previous backup nor the source gives a size). The largest object is 10,000 × partSize; memory per upload is up to (queueSize + 2) × partSize',
      ),
    queueSize: z.number().int().min(1).max(16).default(2).describe('Parts uploaded in parallel'),
    checksumMode: z
      .enum(['when_required', 'when_supported'])
      .default('when_required')
      .describe(
        'SDK request checksums: when_supported sends aws-chunked checksums, which several S3-compatible stores ' +
          'mishandle (s3rver stores the chunk framing inside the object)',
      ),
    connectTimeoutMs: z.number().int().positive().default(10_000).describe('TCP connect timeout'),
    requestTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe(
        'A request whose connection stays silent this long fails (idle, not total, time; retried by the SDK): ' +
          'bounds an upload to a store that stopped answering to about maxAttempts × requestTimeoutMs',
      ),
    operationTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(60_000)
      .describe(
        'Total time, SDK attempts included, for a request that moves no object data (stat, one page of a ' +
          'list, delete, the start of a download)',
      ),
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(3)
      .describe('Attempts per request (SDK retry strategy)'),
  })
  .refine((options) => (options.accessKeyId === undefined) === (options.secretAccessKey === undefined), {
    message:
      'set both accessKeyId and secretAccessKey, or neither (to use the standard AWS credential chain)',
    path: ['secretAccessKey'],
  });

export type S3Options = z.output<typeof s3OptionsSchema>;

export const secretOptions = ['secretAccessKey', 'sessionToken'] as const;
