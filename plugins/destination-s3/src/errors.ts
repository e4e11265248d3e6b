import { DestinationError, TricopyError } from '@tricopy/contract';
import { unparsableAnswer } from './not-s3.js';

export interface ErrorScope {
  /** `destination "cloud"` */
  readonly who: string;
  readonly bucket: string;
  /** The endpoint, or "AWS S3 (region)". */
  readonly endpoint: string;
  redact(text: string): string;
}

/** A request that got no answer within operationTimeoutMs (all SDK attempts included). */
export function operationTimeout(scope: ErrorScope, action: string, timeoutMs: number): DestinationError {
  return new DestinationError(
    `${scope.who}: ${action}: ${scope.endpoint} did not answer within ${timeoutMs} ms (operationTimeoutMs)`,
    { retryable: true },
  );
}

interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

export function isNotFound(error: unknown): boolean {
  const shape = error as AwsErrorShape | null;
  return (
    shape?.name === 'NotFound' || shape?.name === 'NoSuchKey' || shape?.$metadata?.httpStatusCode === 404
  );
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/** Turns an AWS SDK error into a one-line DestinationError naming the destination and what to fix. */
export function translateError(scope: ErrorScope, action: string, error: unknown): TricopyError {
  if (TricopyError.isInstance(error)) return error;
  const shape = (error ?? {}) as AwsErrorShape;
  const name = shape.name ?? '';
  const code = shape.code ?? (error as { cause?: { code?: string } })?.cause?.code ?? '';
  const status = shape.$metadata?.httpStatusCode;
  const detail = scope.redact(shape.message ?? String(error));
  const fail = (text: string, retryable: boolean): DestinationError =>
    new DestinationError(`${scope.who}: ${action}: ${text}`, { cause: error, retryable });

  switch (name) {
    case 'NoSuchBucket':
      return fail(
        `bucket "${scope.bucket}" does not exist at ${scope.endpoint}: create it or fix bucket`,
        false,
      );
    case 'InvalidAccessKeyId':
      return fail(`the access key id is not known to ${scope.endpoint}: check accessKeyId`, false);
    case 'SignatureDoesNotMatch':
      return fail(`request signature rejected by ${scope.endpoint}: check secretAccessKey`, false);
    case 'AccessDenied':
    case 'Forbidden':
      return fail(
        `access denied to bucket "${scope.bucket}": check the credentials and that their policy allows ` +
          's3:PutObject, s3:GetObject, s3:ListBucket, s3:DeleteObject, s3:AbortMultipartUpload and s3:GetObjectTagging',
        false,
      );
    case 'ExpiredToken':
    case 'InvalidToken':
      return fail('the session token expired or is invalid: refresh the credentials', false);
    case 'RequestTimeTooSkewed':
      return fail("this machine's clock differs too much from the server's: sync it (NTP)", false);
    case 'TimeoutError':
    case 'RequestTimeout':
      return fail(`${scope.endpoint} did not answer in time (requestTimeoutMs/connectTimeoutMs)`, true);
    case 'NoSuchUpload':
      return fail(
        'the multipart upload was aborted by someone else while it was being written (another program, a ' +
          'tricopy of another config sharing this bucket cleaning up, or a lifecycle rule aborting incomplete ' +
          'uploads too early): nothing was stored',
        true,
      );
    case 'SlowDown':
    case 'ServiceUnavailable':
    case 'InternalError':
      return fail(`${scope.endpoint} is overloaded or failing (${name}); try again later`, true);
  }
  const notS3 = unparsableAnswer(error);
  if (notS3 !== undefined) {
    return fail(
      `the answer of ${scope.endpoint} is not S3 XML (${notS3}): check endpoint (it must be the S3 API, not a web ` +
        'page, proxy or console)',
      false,
    );
  }
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(detail)) {
    return fail(`connection refused by ${scope.endpoint}: check endpoint (is the store running?)`, true);
  }
  if (code === 'ENOTFOUND' || /ENOTFOUND|getaddrinfo/.test(detail)) {
    return fail(`cannot resolve the host of ${scope.endpoint}: check endpoint and region`, false);
  }
  if (NETWORK_CODES.has(code) || /socket hang up|ECONNRESET|EPIPE/.test(detail)) {
    return fail(`connection to ${scope.endpoint} lost (${code || detail})`, true);
  }
  if (status === 403) {
    return fail(
      `access denied (HTTP 403) to bucket "${scope.bucket}": check accessKeyId/secretAccessKey and their policy`,
      false,
    );
  }
  if (status === 301 || name === 'PermanentRedirect') {
    return fail(`bucket "${scope.bucket}" is in another region: fix region (or endpoint)`, false);
  }
  const retryable = status !== undefined && status >= 500;
  return fail(`${name || 'error'}${status ? ` (HTTP ${status})` : ''}: ${detail}`, retryable);
}
