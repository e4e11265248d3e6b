import { type Catalog, formatBytes, type JobStatus } from '@tricopy/core';
import { ago, attentionCell, escapeHtml, lastRunCell, page, table, trendChart } from './dashboard-parts.js';
import { TREND_BACKUPS } from './size-trend.js';

/** The fleet page: one row per job, the jobs that need attention highlighted. No scripts, no build step. */

export { escapeHtml } from './dashboard-parts.js';

function fleetRow(s: JobStatus, trend: readonly number[], now: Date): string {
  const last = s.lastBackup;
  const cells = [
    `<a href="/jobs/${encodeURIComponent(s.job)}">${escapeHtml(s.job)}</a>`,
    lastRunCell(s.lastRun, now),
    ago(s.lastSuccessAt, now),
    last === null ? '-' : escapeHtml(last.status),
    last === null
      ? '-'
      : `<span class="${last.policyMet ? 'ok' : 'bad'}">${last.copiesVerified}/${last.copies} ${last.policyMet ? 'ok' : 'below'}</span>`,
    ago(s.lastVerified.deep, now),
    ago(s.lastVerified['restore-test'], now),
    last?.size == null ? '-' : formatBytes(last.size),
    trendChart(trend),
  ];
  const tds = cells.map((c, i) => `<td${i === 1 ? ' class="wrap"' : ''}>${c}</td>`).join('');
  return `<tr class="${rowClass(s)}">${tds}<td class="wrap">${attentionCell(s, now)}</td></tr>`;
}

/** `attention` (highlighted) when anything needs it, and `stale` too when the job is stale. */
export function rowClass(s: JobStatus): string {
  return [s.attention.length > 0 ? 'attention' : '', s.staleness.stale ? 'stale' : ''].join(' ').trim();
}

const FLEET_HEAD = [
  'job',
  'last run',
  'last good backup',
  'status',
  '3-2-1',
  'last deep verify',
  'last restore test',
  'size',
  'size trend',
  'attention',
];

export async function fleetPage(jobs: readonly JobStatus[], catalog: Catalog, now: Date): Promise<string> {
  const trends = new Map<string, number[]>();
  for (const { job, size } of await catalog.sizeTrends(TREND_BACKUPS)) {
    const sizes = trends.get(job) ?? [];
    sizes.unshift(size); // oldest first
    trends.set(job, sizes);
  }
  // The jobs that need attention first, each group in config order.
  const ordered = [...jobs].sort((a, b) => Number(b.attention.length > 0) - Number(a.attention.length > 0));
  const rows = ordered.map((j) => fleetRow(j, trends.get(j.job) ?? [], now));
  const needing = jobs.filter((j) => j.attention.length > 0).length;
  const summary = `${jobs.length} job(s), <span class="${needing ? 'bad' : 'ok'}">${needing} need attention</span>, ${jobs.filter((j) => j.staleness.stale).length} stale, as of ${escapeHtml(now.toISOString())}`;
  return page(
    'tricopy fleet',
    `<h1>tricopy fleet</h1><p>${summary}</p>
${table(FLEET_HEAD, rows)}<p><a href="/metrics">/metrics</a> · <a href="/api/jobs">/api/jobs</a></p>`,
  );
}
