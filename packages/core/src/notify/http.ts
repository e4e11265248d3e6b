/** One HTTP POST a notification kind sends: its body and headers ready, the URL as configured. */
export interface HttpPost {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Sends `post`; a status that is not 2xx throws, naming only the URL's scheme and host. */
export async function sendPost(post: HttpPost, timeoutMs: number): Promise<void> {
  const response = await fetch(post.url, {
    method: 'POST',
    headers: post.headers,
    body: post.body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`${describeUrl(post.url)} answered HTTP ${response.status}`);
}

/** A URL for a log line: scheme and host only (paths and queries of webhook and ping URLs often hold tokens). */
export function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}

export const JSON_HEADERS = { 'content-type': 'application/json' } as const;
