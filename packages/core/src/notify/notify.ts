import { childEnv, type Logger } from '@tricopy/contract';
import pRetry from 'p-retry';
import type { NotifyTarget } from '../config/schema.js';
import type { JobResult } from '../results/backup-result.js';
import { formatBytes } from '../util/duration.js';
import { describeError } from '../util/errors.js';
import { redactStrings } from '../util/redactor.js';
import { sendApprise } from './apprise.js';
import { discordPost } from './discord.js';
import { describeUrl, type HttpPost, JSON_HEADERS, sendPost } from './http.js';
import { ntfyPost } from './ntfy.js';
import { slackPost } from './slack.js';

export type NotifyEvent = 'success' | 'degraded' | 'failure';

export interface NotifyOptions {
  readonly logger: Logger;
  readonly redact: (text: string) => string;
  /** Retries after the first attempt (p-retry), bounded. */
  readonly retries?: number;
  readonly minRetryDelayMs?: number;
  readonly timeoutMs?: number;
}

const DEFAULTS = { retries: 3, minRetryDelayMs: 1000, timeoutMs: 15_000 };

/** A flagged backup (anomalous: rows lost, a table gone, size shrunk or grown) is reported as `degraded`: its copies are good, its content may not be. */
export function eventOf(result: Pick<JobResult, 'status' | 'flagged'>): NotifyEvent {
  if (result.status === 'failed') return 'failure';
  return result.status === 'degraded' || result.flagged !== undefined ? 'degraded' : 'success';
}

const EVENT_RANK: Record<NotifyEvent, number> = { success: 0, degraded: 1, failure: 2 };

export function worstEvent(events: readonly NotifyEvent[]): NotifyEvent {
  return events.reduce<NotifyEvent>((worst, e) => (EVENT_RANK[e] > EVENT_RANK[worst] ? e : worst), 'success');
}

const ICONS: Record<NotifyEvent, string> = { success: '✅', degraded: '⚠️', failure: '❌' };

function statusWords(result: Pick<JobResult, 'status' | 'flagged'>): string {
  return `${result.status.toUpperCase()}${result.flagged === undefined ? '' : ', FLAGGED'}`;
}

/** The JSON every webhook and command receives (the others get its `text`). Every string in it redacted; carries no option values of any plugin. */
export function notificationPayload(
  result: JobResult,
  redact: (text: string) => string,
): Record<string, unknown> {
  const event = eventOf(result);
  const copies = result.copies.map((c) => ({
    destination: c.destination,
    status: c.status,
    size: c.size ?? null,
    location: c.location ?? null,
    ...(c.error === undefined ? {} : { error: c.error }),
  }));
  const good = copies.filter((c) => c.status === 'verified').length;
  const size = result.size === undefined ? '' : `, ${formatBytes(result.size)}`;
  const text =
    `${ICONS[event]} tricopy job ${result.job}: ${statusWords(result)} (${good}/${copies.length} copies verified${size})` +
    (result.error === undefined ? '' : `: ${result.error}`) +
    (result.flagged === undefined ? '' : `: ${result.flagged}`);
  const payload = {
    text,
    event,
    job: result.job,
    status: result.status,
    backupId: result.backupId || null,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    size: result.size ?? null,
    sha256: result.sha256 ?? null,
    compression: result.compression ?? null,
    copies,
    policy: { met: result.policy.met, summary: result.policy.summary },
    error: result.error ?? null,
    flagged: result.flagged ?? null,
  };
  // Each value, never the JSON text: there a secret after a newline would follow the `n` of its `\n` escape.
  return redactStrings(payload, redact) as Record<string, unknown>;
}

/**
 * The JSON a healthcheck shared by several jobs of one run receives: the worst event, and one line per job (the
 * worst first, so a length-limited message such as Uptime Kuma's `msg` still names what went wrong).
 */
export function runPayload(
  results: readonly JobResult[],
  redact: (text: string) => string,
): Record<string, unknown> {
  const event = worstEvent(results.map(eventOf));
  const ordered = [...results].sort((a, b) => EVENT_RANK[eventOf(b)] - EVENT_RANK[eventOf(a)]);
  const bad = results.filter((r) => eventOf(r) !== 'success').length;
  const text =
    `${ICONS[event]} tricopy: ${bad === 0 ? 'all' : `${bad} of`} ${results.length} jobs ${bad === 0 ? 'ok' : 'need attention'}: ` +
    ordered.map((r) => `${r.job} ${statusWords(r)}`).join(', ');
  const payload = {
    text,
    event,
    jobs: ordered.map((r) => ({
      job: r.job,
      event: eventOf(r),
      status: r.status,
      backupId: r.backupId || null,
      error: r.error ?? null,
      flagged: r.flagged ?? null,
    })),
    startedAt: results.map((r) => r.startedAt).sort()[0] ?? null,
    finishedAt:
      results
        .map((r) => r.finishedAt)
        .sort()
        .at(-1) ?? null,
  };
  return redactStrings(payload, redact) as Record<string, unknown>;
}

/** Pings healthcheck targets that a run started (healthchecks.io `/start`; Uptime Kuma push URLs have no start). */
export async function notifyStart(
  targets: readonly NotifyTarget[],
  job: string,
  options: NotifyOptions,
): Promise<void> {
  await Promise.all(
    targets.flatMap((t) => (t.type === 'healthcheck' ? [pingStart(t, `job ${job}`, options)] : [])),
  );
}

/**
 * Sends a finished run to every target whose `on` includes its outcome. Never throws: a failed notification is
 * logged (after bounded retries) and does not change the run's result.
 */
export async function notifyResult(
  targets: readonly NotifyTarget[],
  result: JobResult,
  options: NotifyOptions,
): Promise<void> {
  const event = eventOf(result);
  const payload = notificationPayload(result, options.redact);
  const body = JSON.stringify(payload);
  await Promise.all(
    targets.map((target) => {
      if (target.type === 'healthcheck') {
        return pingResult(target, event, `job ${result.job}`, payload, options);
      }
      if (!target.on.includes(event)) return undefined;
      return sendTo(target, event, `job ${result.job}`, payload, body, options);
    }),
  );
}

/**
 * Sends `payload` to the webhook and command targets whose `on` includes `event` (healthchecks follow runs, not
 * this). Never throws, like notifyResult.
 */
export async function notifyPayload(
  targets: readonly NotifyTarget[],
  event: NotifyEvent,
  what: string,
  payload: Record<string, unknown>,
  options: NotifyOptions,
): Promise<void> {
  const body = JSON.stringify(payload);
  await Promise.all(
    targets.map((target) => {
      if (target.type === 'healthcheck' || !target.on.includes(event)) return undefined;
      return sendTo(target, event, what, payload, body, options);
    }),
  );
}

/** Sends one notification to a target that is not a healthcheck: `body` is the payload's JSON. */
function sendTo(
  target: Exclude<NotifyTarget, { type: 'healthcheck' }>,
  event: NotifyEvent,
  what: string,
  payload: Record<string, unknown>,
  body: string,
  options: NotifyOptions,
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const text = String(payload.text);
  const post = (request: HttpPost) => () => sendPost(request, timeoutMs);
  switch (target.type) {
    case 'webhook':
      return deliver(
        `webhook for ${what}`,
        options,
        post({ url: target.url, headers: { ...JSON_HEADERS, ...target.headers }, body }),
      );
    case 'command':
      return deliver(`notify command for ${what}`, options, () => runCommand(target.command, body, options));
    case 'ntfy':
      return deliver(`ntfy for ${what}`, options, post(ntfyPost(target, event, text)));
    case 'slack':
      return deliver(`slack for ${what}`, options, post(slackPost(target, text)));
    case 'discord':
      return deliver(`discord for ${what}`, options, post(discordPost(target, text)));
    case 'apprise':
      return deliver(`apprise for ${what}`, options, () => sendApprise(target, event, text, timeoutMs));
  }
}

/** Pings one healthcheck with the outcome of `event` (if its `on` wants it); `payload` is the POST body. */
export async function pingResult(
  target: Extract<NotifyTarget, { type: 'healthcheck' }>,
  event: NotifyEvent,
  what: string,
  payload: Record<string, unknown>,
  options: NotifyOptions,
): Promise<void> {
  const outcome = healthcheckOutcome(event, target.on);
  if (outcome === undefined) return;
  const url = healthcheckUrl(target.url, outcome, what, String(payload.text));
  if (url === undefined) return;
  await deliver(`healthcheck ${outcome} for ${what}`, options, () =>
    ping(url, options, JSON.stringify(payload)),
  );
}

/** Pings a healthcheck's start URL, if it has one. */
export async function pingStart(
  target: Extract<NotifyTarget, { type: 'healthcheck' }>,
  what: string,
  options: NotifyOptions,
): Promise<void> {
  const url = healthcheckUrl(target.url, 'start', what);
  if (url !== undefined) await deliver(`healthcheck start for ${what}`, options, () => ping(url, options));
}

/** A degraded run the target does not count as a failure still produced a backup: it reports success. */
function healthcheckOutcome(event: NotifyEvent, on: readonly NotifyEvent[]): 'success' | 'fail' | undefined {
  if (event === 'success') return on.includes('success') ? 'success' : undefined;
  if (on.includes(event)) return 'fail';
  if (event === 'degraded' && on.includes('success')) return 'success';
  return undefined;
}

async function deliver(what: string, options: NotifyOptions, send: () => Promise<void>): Promise<void> {
  try {
    await pRetry(send, {
      retries: options.retries ?? DEFAULTS.retries,
      minTimeout: options.minRetryDelayMs ?? DEFAULTS.minRetryDelayMs,
      factor: 2,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft > 0)
          options.logger.warn(
            `${what}: attempt ${attemptNumber} failed: ${options.redact(describeError(error))}`,
          );
      },
    });
    options.logger.debug(`${what}: sent`);
  } catch (error) {
    options.logger.error(`${what} could not be delivered: ${options.redact(describeError(error))}`);
  }
}

/** `kind` start/success/fail as healthchecks.io (path suffix) or Uptime Kuma (status query) understand it. */
export function healthcheckUrl(
  base: string,
  kind: 'start' | 'success' | 'fail',
  what: string,
  message?: string,
): string | undefined {
  const url = new URL(base);
  if (url.searchParams.has('status')) {
    if (kind === 'start') return undefined;
    url.searchParams.set('status', kind === 'success' ? 'up' : 'down');
    url.searchParams.set('msg', (message ?? `tricopy ${what}`).slice(0, 200));
    return url.toString();
  }
  if (kind !== 'success') url.pathname = `${url.pathname.replace(/\/$/, '')}/${kind}`;
  return url.toString();
}

async function ping(url: string, options: NotifyOptions, body?: string): Promise<void> {
  const response = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
    signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULTS.timeoutMs),
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`${describeUrl(url)} answered HTTP ${response.status}`);
}

async function runCommand(command: readonly string[], body: string, options: NotifyOptions): Promise<void> {
  const [program, ...args] = command as [string, ...string[]];
  const { execa } = await import('execa');
  const result = await execa(program, args, {
    // Not tricopy's environment: it holds the secrets the config refers to.
    env: childEnv(),
    extendEnv: false,
    input: body,
    timeout: options.timeoutMs ?? DEFAULTS.timeoutMs,
    reject: false,
    stdout: 'ignore',
    stderr: 'pipe',
    maxBuffer: 64 * 1024,
  });
  if (result.failed) {
    const why = result.timedOut
      ? 'timed out'
      : result.exitCode !== undefined
        ? `exited with code ${result.exitCode}`
        : (result.shortMessage ?? 'failed');
    const stderr =
      typeof result.stderr === 'string' ? result.stderr.trim().split('\n').slice(-3).join(' | ') : '';
    throw new Error(`${program} ${why}${stderr ? `: ${stderr}` : ''}`);
  }
}
