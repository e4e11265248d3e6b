import { type FailedCheck, formatAge, formatBytes, type JobStatus, type LastRun } from '@tricopy/core';
import { sparkline } from './sparkline.js';

/** The pieces both dashboard pages are made of. Every string from the catalog goes through escapeHtml. */

export const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
th,td{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top;white-space:nowrap}
tr.attention td{background:#fde2e2}.bad{color:#b00020;font-weight:600}.warn{color:#8a5300;font-weight:600}
.ok{color:#1b6e20}code{font-size:12px}svg.spark{vertical-align:middle}.range{font-size:12px;color:#555}
.reason,td.wrap{white-space:normal;overflow-wrap:anywhere;max-width:36em}.reason{font-size:12px}
ul.attention{color:#b00020;padding-left:1.2em}`;

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width"><style>${STYLE}</style></head><body>${body}</body></html>\n`;
}

export function table(head: readonly string[], rows: readonly string[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}</tbody></table>`;
}

export function ago(iso: string | null, now: Date): string {
  return iso === null ? 'never' : `${formatAge(now.getTime() - Date.parse(iso))} ago`;
}

const OUTCOME_CLASS: Record<LastRun['status'], string> = {
  ok: 'ok',
  degraded: 'warn',
  failed: 'bad',
  interrupted: 'bad',
  running: '',
};

/** `failed 5m ago` and, below it, why. */
export function lastRunCell(run: LastRun | null, now: Date): string {
  if (run === null) return 'never';
  const when =
    run.status === 'running'
      ? `started ${ago(run.startedAt, now)}`
      : ago(run.finishedAt ?? run.startedAt, now);
  const reason = run.reason === null ? '' : `<div class="reason">${escapeHtml(run.reason)}</div>`;
  return `<span class="${OUTCOME_CLASS[run.status] ?? ''}">${escapeHtml(run.status)}</span> ${when}${reason}`;
}

const LEVEL_TITLE: Record<FailedCheck['level'], string> = {
  exists: 'exists check',
  deep: 'deep verify',
  'restore-test': 'restore test',
};

/** `deep verify of usb: checksum-mismatch (backup …, 2h ago)` and the reason. */
export function failedCheckLine(check: FailedCheck, now: Date): string {
  const copy = check.destination === null ? 'before a copy was read' : `of ${escapeHtml(check.destination)}`;
  const reason = check.reason === null ? '' : `<div class="reason">${escapeHtml(check.reason)}</div>`;
  return `<span class="bad">${LEVEL_TITLE[check.level]} ${copy}: ${escapeHtml(check.status)}</span> (backup <code>${escapeHtml(check.backupId)}</code>, ${ago(check.checkedAt, now)})${reason}`;
}

/** What needs attention, one line each (failed checks in full), or `all good`. */
export function attentionCell(status: JobStatus, now: Date): string {
  if (status.attention.length === 0) return '<span class="ok">all good</span>';
  const lines = status.attention.map((line) => `<span class="bad">${escapeHtml(line)}</span>`);
  return [...lines, ...status.failedChecks.map((c) => failedCheckLine(c, now))]
    .map((l) => `<div>${l}</div>`)
    .join('');
}

/** The size trend and, beside it, the range it spans, so that a small change is not read as a large one. */
export function trendChart(sizes: readonly number[]): string {
  if (sizes.length === 0) return '-';
  const title = `size of the last ${sizes.length} backup(s), oldest first: ${sizes.map(formatBytes).join(', ')}`;
  const [min, max] = [Math.min(...sizes), Math.max(...sizes)];
  const range = min === max ? formatBytes(max) : `${formatBytes(min)}–${formatBytes(max)}`;
  return `${sparkline(sizes, { title: escapeHtml(title) })} <span class="range">${range}</span>`;
}
