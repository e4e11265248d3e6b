import type { Row, ScenarioResult } from './scenario.js';

const MiB = 2 ** 20;
const secs = (ms: number) => (ms / 1000).toFixed(2);
const mib = (bytes: number) => (bytes / MiB).toFixed(0);
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');

function row(result: ScenarioResult, kind: Row['kind']): Row | undefined {
  return result.rows.find((r) => r.kind === kind && r.error === undefined);
}

export interface Summary {
  readonly scenario: string;
  readonly fanOutCost: number | undefined;
  readonly speedupVsUsual: number | undefined;
  readonly tricopyRss: number | undefined;
  readonly bound: string;
  readonly boundRatio: number | undefined;
  readonly restoreVsFloor: number | undefined;
  readonly verifyVsFloor: number | undefined;
}

/** The slowest stage floor: what a streaming pipeline of one read cannot beat on this machine. */
export function summarize(result: ScenarioResult): Summary {
  const t3 = row(result, 'tricopy-3');
  const t1 = row(result, 'tricopy-1');
  const usual = row(result, 'usual');
  const stageFloors: [string, number][] = [
    ['dump', row(result, 'floor-dump')?.medianMs ?? 0],
    ['gzip (Node zlib)', row(result, 'floor-gzip-node')?.medianMs ?? 0],
    ['local write (cp)', usual?.stagesMs?.cp ?? 0],
    ['SFTP write (sftp)', usual?.stagesMs?.sftp ?? 0],
    ['S3 write (aws s3 cp)', usual?.stagesMs?.s3 ?? 0],
  ];
  const [boundName, boundMs] = stageFloors.reduce((a, b) => (b[1] > a[1] ? b : a));
  const restore = row(result, 'tricopy-restore');
  const restoreFloor = row(result, 'floor-restore');
  const verify = row(result, 'tricopy-verify-deep');
  const readFloor = row(result, 'floor-read');
  const node = (r: Row | undefined) => r?.peakByName.node;
  return {
    scenario: `${result.engine} ${result.size}`,
    fanOutCost: t3 && t1 ? t3.medianMs / t1.medianMs : undefined,
    speedupVsUsual: t3 && usual ? usual.medianMs / t3.medianMs : undefined,
    tricopyRss: Math.max(node(t3) ?? 0, node(t1) ?? 0) || undefined,
    bound: boundName,
    boundRatio: t3 ? t3.medianMs / boundMs : undefined,
    restoreVsFloor: restore && restoreFloor ? restore.medianMs / restoreFloor.medianMs : undefined,
    verifyVsFloor: verify && readFloor ? verify.medianMs / readFloor.medianMs : undefined,
  };
}

const HEADER = [
  'scenario',
  'measurement',
  'wall s (median)',
  'min–max s',
  'peak RSS tree MiB',
  'largest process MiB',
  'stored MiB',
];

export function tableRows(results: readonly ScenarioResult[]): string[][] {
  const lines: string[][] = [];
  for (const result of results) {
    const scenario = `${result.engine} ${result.size} (dump ${mib(result.rawDumpBytes)} MiB → ${mib(result.compressedBytes)} MiB gz)`;
    for (const r of result.rows) {
      const stages =
        r.stagesMs === undefined
          ? ''
          : ` [${Object.entries(r.stagesMs)
              .map(([name, ms]) => `${name} ${secs(ms)}`)
              .join(', ')}]`;
      if (r.error !== undefined) {
        lines.push([scenario, `${r.label}: FAILED (${r.error})`, '—', '—', '—', '—', '']);
        continue;
      }
      lines.push([
        scenario,
        `${r.label}${stages}`,
        secs(r.medianMs),
        `${secs(Math.min(...r.wallMs))}–${secs(Math.max(...r.wallMs))}`,
        mib(r.peakTreeRss),
        mib(r.maxProcessRss),
        r.bytesStored === undefined ? '' : mib(r.bytesStored),
      ]);
    }
  }
  return lines;
}

const SUMMARY_HEADER = [
  'scenario',
  '3 dest / 1 dest',
  'usual / tricopy 3',
  'tricopy RSS MiB',
  'bounded by',
  'tricopy 3 / bound',
  'restore / floor',
  'verify --deep / floor',
];

export function summaryRows(summaries: readonly Summary[]): string[][] {
  const x = (value: number | undefined) => (value === undefined ? '—' : `${value.toFixed(2)}×`);
  return summaries.map((s) => [
    s.scenario,
    x(s.fanOutCost),
    x(s.speedupVsUsual),
    s.tricopyRss === undefined ? '—' : mib(s.tricopyRss),
    s.bound,
    x(s.boundRatio),
    x(s.restoreVsFloor),
    x(s.verifyVsFloor),
  ]);
}

export function textTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const esc = (cell: string) => cell.replaceAll('|', '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export { HEADER, ratio, SUMMARY_HEADER };

export interface Targets {
  readonly lines: readonly string[];
}

/** The issue's targets, each reported as met or missed with the figure behind it. */
export function targets(results: readonly ScenarioResult[], summaries: readonly Summary[]): string[] {
  const lines: string[] = [];
  const fmt = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(2));
  for (const s of summaries) {
    const fan = s.fanOutCost !== undefined && s.fanOutCost <= 1.2;
    const usual = s.speedupVsUsual !== undefined && s.speedupVsUsual >= 2;
    const rss = s.tricopyRss !== undefined && s.tricopyRss < 150 * MiB;
    lines.push(
      `${s.scenario}: 3 destinations within 1.2× of 1: ${fan ? 'MET' : 'MISSED'} (${fmt(s.fanOutCost)}×); ` +
        `≥ 2× faster than the usual script: ${usual ? 'MET' : 'MISSED'} (${fmt(s.speedupVsUsual)}×); ` +
        `peak RSS < 150 MiB: ${rss ? 'MET' : 'MISSED'} (${s.tricopyRss === undefined ? '—' : mib(s.tricopyRss)} MiB); ` +
        `bounded by ${s.bound} (tricopy at ${fmt(s.boundRatio)}× that stage's floor)`,
    );
  }
  for (const engine of new Set(results.map((r) => r.engine))) {
    const small = summaries.find((s) => s.scenario === `${engine} small`)?.tricopyRss;
    const large = summaries.find((s) => s.scenario === `${engine} large`)?.tricopyRss;
    if (small !== undefined && large !== undefined) {
      const flat = large <= small * 1.25 + 8 * MiB;
      lines.push(
        `${engine}: RSS flat between small and large: ${flat ? 'MET' : 'MISSED'} (${mib(small)} → ${mib(large)} MiB)`,
      );
    }
  }
  return lines;
}
