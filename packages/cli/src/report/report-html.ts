import {
  formatBytes,
  type Report,
  type ReportBackup,
  type ReportCheck,
  type ReportDrill,
  type ReportJob,
  terminalSafe,
} from '@tricopy/core';
import { escapeHtml } from '../serve/dashboard-parts.js';

/**
 * The report as one self-contained HTML file a person reads and prints: inline CSS, no script, nothing fetched
 * (its Content-Security-Policy forbids both). Every stored text is untrusted (a destination or a forged catalog row
 * may have written it): it is shown with control and bidi characters as visible escapes, then HTML-escaped.
 */
export function renderReportHtml(report: Report): string {
  const title = `tricopy evidence report since ${report.since.slice(0, 10)}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${text(title)}</title><style>${STYLE}</style></head><body>
<h1>${text(title)}</h1>
<p id="period">Period: ${text(report.since)} to ${text(report.generatedAt)} · made by tricopy ${text(report.tricopyVersion)} · report format ${report.version} · 3-2-1 policy: ${report.policy.copies} copies, ${report.policy.media} media, ${report.policy.offsite} offsite</p>
${report.jobs.map(jobSection).join('\n')}
</body></html>
`;
}

const STYLE = `body{font:13px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:1em}caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{padding:.25em .6em;border-bottom:1px solid #ccc;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere}td.time{white-space:nowrap}code{font-size:11px}.failed{color:#b00020;font-weight:600}.passed{color:#1b6e20}
ul{margin:0;padding-left:1.1em}section{margin-top:2em}.none{color:#555;font-style:italic}
@media print{body{margin:0;font-size:10px}section{break-before:page}section:first-of-type{break-before:auto}
tr{break-inside:avoid}thead{display:table-header-group}}`;

/** A stored text as shown: terminal-interpreted characters made visible, then HTML-escaped. */
function text(value: string): string {
  return escapeHtml(terminalSafe(value));
}

const orDash = (value: string | null) => (value === null ? '-' : text(value));

/** A stored time in a cell of its own, kept on one line. */
function timeCell(iso: string | null): string {
  return `<td class="time">${orDash(iso)}</td>`;
}

function result(passed: boolean, status: string): string {
  return `<span class="${passed ? 'passed' : 'failed'}">${text(status)}</span>`;
}

function duration(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 60_000
    ? `${(ms / 1000).toFixed(1)}s`
    : `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
}

function table(id: string, caption: string, head: readonly string[], rows: readonly string[]): string {
  const body = rows.length
    ? rows.join('\n')
    : `<tr><td class="none" colspan="${head.length}">none in the period</td></tr>`;
  return `<table id="${id}"><caption>${caption}</caption><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>
${body}</tbody></table>`;
}

function jobSection(job: ReportJob, index: number): string {
  const p = job.policy;
  const configured =
    p.configured === null
      ? 'not in the config any more'
      : `configured destinations: ${text(p.configured.met ? p.configured.summary : `short of policy: ${p.configured.shortfall}`)}`;
  const met = p.met ? '<span class="passed">met</span>' : '<span class="failed">not met</span>';
  return `<section class="job" id="job-${index}"><h2>job ${text(job.job)}</h2>
<p class="policy">3-2-1 over the period: ${met} — ${p.keptMet} of ${p.kept} good backup(s) still kept meet it now; ${p.goodBackups} good backup(s) in the period, ${p.pruned} pruned since; ${configured}</p>
${table(`backups-${index}`, 'Backups', ['backup', 'started', 'finished', 'duration', 'size', 'status', 'copies', 'checks when written', '3-2-1'], job.backups.map(backupRow))}
${table(`verifications-${index}`, 'Verifications', ['checked', 'level', 'backup', 'copy', 'result', 'detail'], job.verifications.map(checkRow))}
${table(`drills-${index}`, 'Restore drills', ['checked', 'backup', 'copy', 'target', 'duration', 'assertions', 'result'], job.drills.map(drillRow))}
</section>`;
}

function backupRow(b: ReportBackup): string {
  const status = [
    result(b.status === 'ok', b.status),
    b.error === null ? '' : `<div>${text(b.error)}</div>`,
    b.flagged === null ? '' : `<div class="failed">flagged: ${text(b.flagged)}</div>`,
    b.prunedAt === null ? '' : `<div>pruned ${text(b.prunedAt)}</div>`,
  ].join('');
  const copies = b.copies.map(
    (c) =>
      `<li>${text(c.destination)}: ${result(c.status === 'verified', c.status)}${c.error === null ? '' : ` (${text(c.error)})`}</li>`,
  );
  const checks = b.checks.map(
    (c) => `<li>${orDash(c.copy)}: ${result(c.passed, c.status)} ${text(c.checkedAt)}</li>`,
  );
  const policy = b.policy.met
    ? `<span class="passed">met</span>`
    : `<span class="failed">${text(b.policy.shortfall)}</span>`;
  return `<tr><td><code>${text(b.backupId)}</code></td>${timeCell(b.startedAt)}${timeCell(b.finishedAt)}<td>${duration(b.durationMs)}</td><td>${b.size === null ? '-' : formatBytes(b.size)}</td><td>${status}</td><td><ul>${copies.join('')}</ul></td><td><ul>${checks.join('')}</ul></td><td>${policy}</td></tr>`;
}

function checkRow(c: ReportCheck): string {
  return `<tr>${timeCell(c.checkedAt)}<td>${text(c.level)}</td><td><code>${text(c.backupId)}</code></td><td>${orDash(c.copy)}</td><td>${result(c.passed, c.status)}</td><td>${orDash(c.detail)}</td></tr>`;
}

function drillRow(d: ReportDrill): string {
  const assertions = d.assertions.map(
    (a) =>
      `<li>${a.ok === null ? '?' : result(a.ok, a.ok ? 'passed' : 'failed')} ${orDash(a.name)}: <code>${orDash(a.sql)}</code> = ${orDash(a.value)}</li>`,
  );
  const error = d.error === null ? '' : `<div>${text(d.error)}</div>`;
  return `<tr>${timeCell(d.checkedAt)}<td><code>${text(d.backupId)}</code></td><td>${orDash(d.copy)}</td><td>${orDash(d.target)}</td><td>${duration(d.durationMs)}</td><td><ul>${assertions.join('')}</ul></td><td>${result(d.passed, d.status)}${error}</td></tr>`;
}
