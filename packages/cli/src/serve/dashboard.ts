import {
  type BackupRow,
  type Catalog,
  formatAge,
  formatBytes,
  type JobStatus,
  staleReason,
} from '@tricopy/core';
import { sparkline } from './sparkline.js';

/** Server-rendered, read-only pages: the fleet (one row per job) and one job's backups. No scripts, no build step. */

export const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
th,td{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left;white-space:nowrap}tr.stale td{background:#fde2e2}
.bad{color:#b00020;font-weight:600}.ok{color:#1b6e20}code{font-size:12px}svg.spark{vertical-align:middle}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width"><style>${STYLE}</style></head><body>${body}</body></html>\n`;
}

function ago(iso: string | null, now: Date): string {
  return iso === null ? 'never' : `${formatAge(now.getTime() - Date.parse(iso))} ago`;
}

/** How many of a job's newest backups its size trend shows. */
export const TREND_BACKUPS = 20;

/** The sizes of a job's newest good backups (pruned ones too: they are its history), oldest first. */
export async function sizeTrend(catalog: Catalog, job: string): Promise<number[]> {
  return (await catalog.listBackups({ job, statuses: ['ok', 'degraded'] }))
    .flatMap((b) => (b.size === null ? [] : [b.size]))
    .slice(0, TREND_BACKUPS)
    .reverse();
}

function trendChart(sizes: readonly number[]): string {
  if (sizes.length === 0) return '-';
  const title = `size of the last ${sizes.length} backup(s), oldest first: ${sizes.map(formatBytes).join(', ')}`;
  return sparkline(sizes, { title: escapeHtml(title) });
}

function fleetRow(s: JobStatus, trend: readonly number[], now: Date): string {
  const last = s.lastBackup;
  const stale = s.staleness.stale;
  const cells = [
    `<a href="/jobs/${encodeURIComponent(s.job)}">${escapeHtml(s.job)}</a>`,
    ago(s.lastSuccessAt, now),
    last === null ? '-' : escapeHtml(last.status),
    last === null
      ? '-'
      : `<span class="${last.policyMet ? 'ok' : 'bad'}">${last.copiesVerified}/${last.copies} ${last.policyMet ? 'ok' : 'below'}</span>`,
    ago(s.lastVerified.deep, now),
    ago(s.lastVerified['restore-test'], now),
    last?.size == null ? '-' : formatBytes(last.size),
    trendChart(trend),
    stale ? `<span class="bad">STALE: ${escapeHtml(staleReason(s.staleness))}</span>` : 'fresh',
  ];
  return `<tr class="${stale ? 'stale' : ''}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

export async function fleetPage(jobs: readonly JobStatus[], catalog: Catalog, now: Date): Promise<string> {
  const trends = new Map<string, number[]>();
  for (const { job, size } of await catalog.sizeTrends(TREND_BACKUPS)) {
    const sizes = trends.get(job) ?? [];
    sizes.unshift(size); // oldest first
    trends.set(job, sizes);
  }
  const rows = jobs.map((j) => fleetRow(j, trends.get(j.job) ?? [], now));
  const head = [
    'job',
    'last backup',
    'status',
    '3-2-1',
    'last deep verify',
    'last restore test',
    'size',
    'size trend',
    'staleness',
  ];
  return page(
    'tricopy fleet',
    `<h1>tricopy fleet</h1><p>${jobs.length} job(s), ${jobs.filter((j) => j.staleness.stale).length} stale, as of ${escapeHtml(now.toISOString())}</p>
<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}</tbody></table><p><a href="/metrics">/metrics</a> · <a href="/api/jobs">/api/jobs</a></p>`,
  );
}

/** The last deep verification of each copy of a backup (any outcome), by destination. */
async function lastDeepByCopy(catalog: Catalog, backupId: string): Promise<Map<string | null, string>> {
  return new Map(
    (await catalog.listVerifications(backupId))
      .filter((v) => v.level === 'deep')
      .map((v) => [v.destination, v.checkedAt] as const),
  );
}

async function backupRow(catalog: Catalog, b: BackupRow, now: Date): Promise<string> {
  const lastDeep = await lastDeepByCopy(catalog, b.id);
  const copies = (await catalog.listCopies(b.id))
    .map(
      (c) =>
        `${escapeHtml(c.destination)}: <span class="${c.status === 'verified' ? 'ok' : 'bad'}">${escapeHtml(c.status)}</span>, deep verify ${ago(lastDeep.get(c.destination) ?? null, now)}`,
    )
    .join('<br>');
  const checks = (await catalog.listVerifications(b.id))
    .filter((v) => v.level !== 'backup')
    .map(
      (v) =>
        `${escapeHtml(v.checkedAt)} ${escapeHtml(v.level)} ${escapeHtml(v.destination ?? '')} ${escapeHtml(v.status)}`,
    )
    .join('<br>');
  const cells = [
    `<code>${escapeHtml(b.id)}</code>`,
    escapeHtml(b.prunedAt === null ? b.status : 'pruned'),
    escapeHtml(b.finishedAt ?? '-'),
    b.size === null ? '-' : formatBytes(b.size),
    `<code>${escapeHtml(b.sha256 ?? '-')}</code>`,
    copies || '-',
    checks || '-',
  ];
  return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

export async function jobPage(status: JobStatus, catalog: Catalog, now: Date): Promise<string> {
  const head = ['backup', 'status', 'finished', 'size', 'sha256', 'copies', 'verifications'];
  const backups = await catalog.listBackups({ job: status.job });
  const rows = await Promise.all(backups.map((b) => backupRow(catalog, b, now)));
  const trend = trendChart(await sizeTrend(catalog, status.job));
  return page(
    `tricopy job ${status.job}`,
    `<p><a href="/">← fleet</a></p><h1>job ${escapeHtml(status.job)}</h1>
<p>last backup ${ago(status.lastSuccessAt, now)}; size trend ${trend}; ${status.staleness.stale ? `<span class="bad">STALE: ${escapeHtml(staleReason(status.staleness))}</span>` : 'fresh'}</p>
<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}</tbody></table>`,
  );
}
