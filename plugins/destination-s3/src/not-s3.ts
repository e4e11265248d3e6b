import type { S3Client } from '@aws-sdk/client-s3';

/** Commands whose Content-Type is the stored object's, not the service's. */
const OBJECT_CONTENT = new Set(['GetObjectCommand', 'HeadObjectCommand']);

/** A 2xx answer that is a web page, not S3: the SDK would read an HTML page as an empty listing. */
export class NotS3AnswerError extends Error {
  constructor(
    readonly status: number,
    readonly contentType: string,
  ) {
    super(`the answer is not S3 (HTTP ${status}, ${contentType})`);
    this.name = 'NotS3AnswerError';
  }
}

interface RawResponse {
  statusCode?: number;
  headers?: Record<string, string | undefined>;
}

/** Refuses HTML answers to S3 requests (the SDK's XML parser accepts many pages as an empty result). */
export function refuseWebPages(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const response = result.response as RawResponse;
      const type = response.headers?.['content-type'] ?? '';
      if (!OBJECT_CONTENT.has(context.commandName ?? '') && /^text\/html\b/i.test(type)) {
        throw new NotS3AnswerError(response.statusCode ?? 0, type.split(';')[0] as string);
      }
      return result;
    },
    { step: 'deserialize', name: 'tricopyRefuseWebPages', priority: 'high' },
  );
}

/**
 * What came back when the answer was no S3 answer: the HTTP status and content type (e.g. "HTTP 200, text/html"),
 * or undefined for any other error. The SDK marks answers it could not parse with the raw `$response` and, unlike
 * the store's own errors, no `$fault`.
 */
export function unparsableAnswer(error: unknown): string | undefined {
  if (error instanceof NotS3AnswerError) return `HTTP ${error.status}, ${error.contentType}`;
  if (typeof error !== 'object' || error === null || !('$response' in error) || '$fault' in error)
    return undefined;
  const response = (error as { $response?: RawResponse }).$response;
  const type = response?.headers?.['content-type'] ?? 'no content type';
  return `HTTP ${response?.statusCode ?? '?'}, ${type.split(';')[0]}`;
}
