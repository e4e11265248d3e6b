import {
  type BackupRow,
  type Catalog,
  checkReason,
  formatBytes,
  type JobStatus,
  type VerificationRow,
} from '@tricopy/core';
import { ago, attentionCell, escapeHtml, lastRunCell, page, table, trendChart } from './dashboard-parts.js';
import { sizeTrend } from './size-trend.js';

/** One job's page: its last run, what needs attention, its backups with their copies and checks. */

/** How many leading hex digits of a SHA-256 the page shows (the full one is the cell's tooltip). */
const SHA_SHOWN = 12;

function sha(full: string | null): string {
  if (full === null) return '-';
  return `<code title="${escapeHtml(full)}">${escapeHtml(full.slice(0, SHA_SHOWN))}…</code>`;
}

function checkLine(v: VerificationRow): string {
  const ok = v.status === 'ok';
  const what = `${escapeHtml(v.checkedAt)} ${escapeHtml(v.level)} ${escapeHtml(v.destination ?? '(no copy read)')}`;
  const status = `<span class="${ok ? 'ok' : 'bad'}">${escapeHtml(v.status)}</span>`;
  const why = ok ? null : checkReason(v);
  const reason = why === null ? '' : `<div class="reason">${escapeHtml(why)}</div>`;
  return `${what} ${status}${reason}`;
}

async function backupRow(catalog: Catalog, b: BackupRow, now: Date): Promise<string> {
  const verifications = await catalog.listVerifications(b.id);
  const lastDeep = new Map(
    verifications.filter((v) => v.level === 'deep').map((v) => [v.destination, v.checkedAt] as const),
  );
  const copies = (await catalog.listCopies(b.id))
    .map((c) => {
      const status = `<span class="${c.status === 'verified' ? 'ok' : 'bad'}">${escapeHtml(c.status)}</span>`;
      const error = c.error === null ? '' : `<div class="reason">${escapeHtml(c.error)}</div>`;
      return `<div>${escapeHtml(c.destination)}: ${status}, deep verify ${ago(lastDeep.get(c.destination) ?? null, now)}${error}</div>`;
    })
    .join('');
  const checks = verifications
    .filter((v) => v.level !== 'backup')
    .map((v) => `<div>${checkLine(v)}</div>`)
    .join('');
  const error = b.error === null ? '' : `<div class="reason">${escapeHtml(b.error)}</div>`;
  const cells = [
    `<code>${escapeHtml(b.id)}</code>`,
    `${escapeHtml(b.prunedAt === null ? b.status : 'pruned')}${error}`,
    escapeHtml(b.finishedAt ?? '-'),
    b.size === null ? '-' : formatBytes(b.size),
    sha(b.sha256),
    copies || '-',
    checks || '-',
  ];
  const wraps = new Set([1, 5, 6]);
  return `<tr>${cells.map((c, i) => `<td${wraps.has(i) ? ' class="wrap"' : ''}>${c}</td>`).join('')}</tr>`;
}

const HEAD = ['backup', 'status', 'finished', 'size', 'sha256', 'copies', 'verifications'];

export async function jobPage(status: JobStatus, catalog: Catalog, now: Date): Promise<string> {
  const backups = await catalog.listBackups({ job: status.job });
  const rows = await Promise.all(backups.map((b) => backupRow(catalog, b, now)));
  const trend = trendChart(await sizeTrend(catalog, status.job));
  return page(
    `tricopy job ${status.job}`,
    `<p><a href="/">← fleet</a></p><h1>job ${escapeHtml(status.job)}</h1>
<div id="last-run">last run: ${lastRunCell(status.lastRun, now)}</div>
<p>last good backup ${ago(status.lastSuccessAt, now)}; size trend ${trend}</p>
<div id="attention">${attentionCell(status, now)}</div>
${table(HEAD, rows)}`,
  );
}
