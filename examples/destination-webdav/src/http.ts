import { setTimeout as sleep } from 'node:timers/promises';
import { DestinationError, TricopyError } from '@tricopy/contract';

export interface HttpSettings {
  /** `destination "nas"`: starts every error message. */
  readonly who: string;
  readonly authorization?: string;
  readonly timeoutMs: number;
  readonly retries: number;
  redact(text: string): string;
}

export interface DavRequest {
  readonly method: 'GET' | 'PUT' | 'PROPFIND' | 'MOVE' | 'DELETE' | 'MKCOL';
  readonly url: URL;
  /** What the request is for, in the user's words: `put "app/x.gz"`. */
  readonly action: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | ReadableStream<Uint8Array>;
  readonly signal?: AbortSignal;
  /** Statuses the caller handles itself (e.g. 404 for stat); any other non-2xx status throws. */
  readonly accept?: readonly number[];
  /** No time limit: the request streams a body of unknown length (uploads, downloads). */
  readonly streaming?: boolean;
}

const IDEMPOTENT = new Set(['GET', 'PROPFIND', 'DELETE', 'MKCOL']);

/** Sends one WebDAV request with Node's fetch, retrying idempotent ones after transient failures. */
export async function davRequest(settings: HttpSettings, request: DavRequest): Promise<Response> {
  const attempts = IDEMPOTENT.has(request.method) ? settings.retries + 1 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendOnce(settings, request);
    } catch (error) {
      const retryable = error instanceof DestinationError && error.retryable;
      if (!retryable || attempt >= attempts || request.signal?.aborted) throw error;
      await sleep(250 * 2 ** (attempt - 1));
    }
  }
}

async function sendOnce(settings: HttpSettings, request: DavRequest): Promise<Response> {
  const signals = [request.signal, request.streaming ? undefined : AbortSignal.timeout(settings.timeoutMs)];
  const signal = AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
  const headers: Record<string, string> = { ...request.headers };
  if (settings.authorization !== undefined) headers.authorization = settings.authorization;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers,
      signal,
      redirect: 'manual',
      ...(request.body === undefined ? {} : { body: request.body }),
      // Streamed request bodies need half-duplex mode in Node's fetch.
      ...(typeof request.body === 'object' ? { duplex: 'half' } : {}),
    } as RequestInit);
  } catch (error) {
    throw networkError(settings, request, error);
  }
  if (response.ok || request.accept?.includes(response.status)) return response;
  await response.body?.cancel().catch(() => {});
  throw statusError(settings, request, response);
}

function statusError(settings: HttpSettings, request: DavRequest, response: Response): DestinationError {
  const { who } = settings;
  const origin = request.url.origin;
  const fail = (text: string, retryable = false) =>
    new DestinationError(`${who}: ${request.action}: ${text}`, { retryable });
  const status = `${request.method} answered ${response.status} ${response.statusText}`.trim();
  switch (response.status) {
    case 401:
      return fail(
        settings.authorization === undefined
          ? `${origin} requires a login (${status}): set username and password`
          : `authentication failed at ${origin} (${status}): check username and password`,
      );
    case 403:
      return fail(`permission denied (${status}): check that the user may write the folder in url`);
    case 301:
    case 302:
    case 307:
    case 308:
      return fail(
        `${status}, redirecting to ${response.headers.get('location') ?? '?'}: set url to the final address`,
      );
    case 405:
      return fail(`${status}: is url a WebDAV folder? (the server does not allow ${request.method} there)`);
    case 409:
      return fail(
        `${status}: a parent folder is missing on the server (was it removed during the run?)`,
        true,
      );
    case 413:
      return fail(`${status}: the server refuses a file this large (check its upload size limit)`);
    case 507:
      return fail(`${status}: the server is out of space`);
    default:
      return fail(status, response.status >= 500 || response.status === 408 || response.status === 429);
  }
}

function networkError(settings: HttpSettings, request: DavRequest, error: unknown): TricopyError {
  if (TricopyError.isInstance(error)) return error;
  const { who } = settings;
  const origin = request.url.origin;
  const fail = (text: string, retryable: boolean) =>
    new DestinationError(`${who}: ${request.action}: ${text}`, { cause: error, retryable });
  if (request.signal?.aborted) {
    return fail(`aborted (${messageOf(request.signal.reason)})`, false);
  }
  if ((error as { name?: string }).name === 'TimeoutError') {
    return fail(`no answer from ${origin} within ${settings.timeoutMs} ms (timeoutMs)`, true);
  }
  const cause = (error as { cause?: unknown }).cause;
  const code = (cause as { code?: string } | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return fail(
        `connection refused by ${origin}: is the WebDAV server running and the port in url right?`,
        true,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail(`cannot resolve the host of ${origin}: check url`, code === 'EAI_AGAIN');
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return fail(`connection to ${origin} lost (${code})`, true);
    default: {
      if (typeof code === 'string' && /CERT|SELF_SIGNED|TLS/i.test(code)) {
        return fail(
          `TLS certificate of ${origin} not trusted (${code}): add its CA with NODE_EXTRA_CA_CERTS=ca.pem`,
          false,
        );
      }
      const detail = settings.redact(messageOf(cause ?? error));
      return fail(`request to ${origin} failed: ${detail}`, false);
    }
  }
}

function messageOf(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
