import { childEnv } from '@tricopy/contract';
import type { NotifyTarget } from '../config/schema.js';

/** success, degraded or failure (as `on` lists them). */
type NotifyEvent = NotifyTarget['on'][number];
type Apprise = Extract<NotifyTarget, { type: 'apprise' }>;

const TYPES: Record<NotifyEvent, string> = { success: 'success', degraded: 'warning', failure: 'failure' };

/**
 * Sends the text through the `apprise` command (apprise.readthedocs.io), which must be on PATH. Its URLs hold
 * tokens, so they go in its environment (`APPRISE_URLS`, readable only by the same user), never in its arguments;
 * without `urls` apprise reads its own configuration files. The body goes on stdin.
 */
export async function sendApprise(
  target: Apprise,
  event: NotifyEvent,
  text: string,
  timeoutMs: number,
): Promise<void> {
  const { execa } = await import('execa');
  const urls = target.urls ?? [];
  const result = await execa(
    'apprise',
    ['--notification-type', TYPES[event], '--title', `tricopy: ${event}`],
    {
      env: childEnv(urls.length === 0 ? {} : { APPRISE_URLS: urls.join(' ') }),
      extendEnv: false,
      input: text,
      timeout: timeoutMs,
      reject: false,
      stdout: 'ignore',
      stderr: 'pipe',
      maxBuffer: 64 * 1024,
    },
  );
  if (!result.failed) return;
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new Error('the apprise command is not installed (apt install apprise, or pip install apprise)');
  }
  const why = result.timedOut ? 'timed out' : `exited with code ${result.exitCode ?? '?'}`;
  const stderr = typeof result.stderr === 'string' ? lastLines(result.stderr, urls) : '';
  throw new Error(`apprise ${why}${stderr ? `: ${stderr}` : ''}`);
}

/** The end of apprise's stderr, without the URLs it may repeat. */
function lastLines(stderr: string, urls: readonly string[]): string {
  let text = stderr.trim().split('\n').slice(-3).join(' | ');
  for (const url of urls) text = text.replaceAll(url, '***');
  return text;
}
