import type { Readable } from 'node:stream';

/** Keeps the last `limit` bytes of a tool's stderr: enough to explain a failure, bounded whatever it prints. */
export function collectTail(stream: Readable | null | undefined, limit = 64 * 1024): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    text += chunk;
    if (text.length > limit * 2) text = text.slice(-limit);
  });
  return () => (text.length > limit ? `…${text.slice(-limit)}` : text).trim();
}

/** The first line mentioning an error (else the last line), for one-line messages; `details` has them all. */
export function firstErrorLine(text: string): string | undefined {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines.find((line) => /error|fatal|failed/i.test(line)) ?? lines.at(-1);
}
