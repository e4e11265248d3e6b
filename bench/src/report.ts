import type { Row, ScenarioResult } from './scenario.js';

const MiB = 2 ** 20;
const secs = (ms: number) => (ms / 1000).toFixed(2);
const mib = (bytes: number) => (bytes / MiB).toFixed(0);
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');

function row(result: ScenarioResult, kind: Row['kind']): Row | undefined {
  return result.rows.find((r) => r.kind === kind && r.error === undefined);
}

/** The shaped network's per-port rates (bits per second): the SFTP server (a NAS on the LAN) and S3 (offsite). */
export const SHAPED_RATES = { sftp: 800e6, s3: 200e6 } as const;

export interface Summary {
  readonly scenario: string;
  readonly network: ScenarioResult['network'];
  readonly size: ScenarioResult['size'];
  readonly engine: ScenarioResult['engine'];
  /** The physical bound: the slowest stage alone, and its time. */
  readonly bound: string;
  readonly boundMs: number;
  readonly boundRatio: number | undefined;
  readonly vsUsualZstd: number | undefined;
  readonly vsUsual: number | undefined;
  readonly singleVsFloor: number | undefined;
  /** The dump | zstd floor with tricopy's checks done by programs, against the floor without them. */
  readonly checksCost: number | undefined;
  /** tricopy to one destination against that checked floor: what tricopy's own way of doing the checks costs. */
  readonly singleVsChecked: number | undefined;
  readonly fanOutCost: number | undefined;
  readonly tricopyRss: number | undefined;
  readonly restoreVsFloor: number | undefined;
  readonly verifyVsFloor: number | undefined;
}

export function scenarioName(result: Pick<ScenarioResult, 'engine' | 'size' | 'network'>): string {
  return `${result.engine} ${result.size} ${result.network}`;
}

/**
 * The physical bound of a streaming backup of one read: the slowest of its stages alone — the dump piped to zstd,
 * and on the shaped network the compressed bytes at each link's rate. (The usual script's copy stages, in brackets,
 * also hold the tools' start-up: awscli alone takes about a second to start.)
 */
function boundOf(result: ScenarioResult): [string, number] {
  const stages: [string, number][] = [['dump | zstd', row(result, 'floor-zstd')?.medianMs ?? 0]];
  if (result.network === 'shaped') {
    const bits = result.compressedBytes * 8;
    stages.push(['S3 link 200 Mbit/s', (bits / SHAPED_RATES.s3) * 1000]);
    stages.push(['SFTP link 800 Mbit/s', (bits / SHAPED_RATES.sftp) * 1000]);
  }
  return stages.reduce((a, b) => (b[1] > a[1] ? b : a));
}

export function summarize(result: ScenarioResult): Summary {
  const t3 = row(result, 'tricopy-3');
  const t1 = row(result, 'tricopy-1');
  const usual = row(result, 'usual');
  const usualZstd = row(result, 'usual-zstd');
  const floor = row(result, 'floor-zstd');
  const [bound, boundMs] = boundOf(result);
  const over = (a: Row | undefined, b: Row | undefined) => (a && b ? a.medianMs / b.medianMs : undefined);
  // Node 24 names its main thread (and so /proc's Name of the process) MainThread; Node 20 left it `node`.
  const node = (r: Row | undefined) => Math.max(r?.peakByName.node ?? 0, r?.peakByName.MainThread ?? 0);
  return {
    scenario: scenarioName(result),
    network: result.network,
    size: result.size,
    engine: result.engine,
    bound,
    boundMs,
    boundRatio: t3 && boundMs > 0 ? t3.medianMs / boundMs : undefined,
    vsUsualZstd: over(usualZstd, t3),
    vsUsual: over(usual, t3),
    singleVsFloor: over(t1, floor),
    checksCost: over(row(result, 'floor-checked'), floor),
    singleVsChecked: over(t1, row(result, 'floor-checked')),
    fanOutCost: over(t3, t1),
    tricopyRss: Math.max(node(t3) ?? 0, node(t1) ?? 0) || undefined,
    restoreVsFloor: over(row(result, 'tricopy-restore'), row(result, 'floor-restore')),
    verifyVsFloor: over(row(result, 'tricopy-verify-deep'), row(result, 'floor-read')),
  };
}

const HEADER = [
  'scenario',
  'measurement',
  'wall s (median)',
  'min–max s',
  '× bound',
  'peak RSS tree MiB',
  'largest process MiB',
  'stored MiB',
  'CPU s, all processes',
  'CPU s: command tree + servers',
];

/** e.g. `3.10 + postgres 0.92 + sshd 0.51 + s3rver 1.20`. */
function cpuSplit(r: Row): string {
  const servers = Object.entries(r.cpuMs.servers).map(([name, ms]) => ` + ${name} ${secs(ms)}`);
  return `${secs(r.cpuMs.tree)}${servers.join('')}`;
}

export function tableRows(results: readonly ScenarioResult[]): string[][] {
  const lines: string[][] = [];
  for (const result of results) {
    const [bound, boundMs] = boundOf(result);
    const scenario = `${scenarioName(result)} (dump ${mib(result.rawDumpBytes)} MiB → ${mib(result.compressedBytes)} MiB)`;
    lines.push([scenario, `physical bound: ${bound}`, secs(boundMs), '', '1.00×', '', '', '', '', '']);
    for (const r of result.rows) {
      const stages =
        r.stagesMs === undefined
          ? ''
          : ` [${Object.entries(r.stagesMs)
              .map(([name, ms]) => `${name} ${secs(ms)}`)
              .join(', ')}]`;
      if (r.error !== undefined) {
        lines.push([scenario, `${r.label}: FAILED (${r.error})`, '—', '—', '—', '—', '—', '', '—', '—']);
        continue;
      }
      const backupRow = !r.kind.includes('restore') && !r.kind.includes('read') && !r.kind.includes('verify');
      lines.push([
        scenario,
        `${r.label}${stages}`,
        secs(r.medianMs),
        `${secs(Math.min(...r.wallMs))}–${secs(Math.max(...r.wallMs))}`,
        backupRow ? ratio(r.medianMs, boundMs) : '',
        mib(r.peakTreeRss),
        mib(r.maxProcessRss),
        r.bytesStored === undefined ? '' : mib(r.bytesStored),
        secs(r.cpuMs.total),
        cpuSplit(r),
      ]);
    }
  }
  return lines;
}

const SUMMARY_HEADER = [
  'scenario',
  'bounded by',
  'tricopy 3 / bound',
  'usual zstd / tricopy 3',
  'usual / tricopy 3',
  'tricopy 1 / dump|zstd',
  'checked / dump|zstd',
  'tricopy 1 / checked',
  '3 dest / 1 dest',
  'tricopy RSS MiB',
  'restore / pg_restore etc.',
  'verify --deep / floor',
];

export function summaryRows(summaries: readonly Summary[]): string[][] {
  const x = (value: number | undefined) => (value === undefined ? '—' : `${value.toFixed(2)}×`);
  return summaries.map((s) => [
    s.scenario,
    `${s.bound} ${secs(s.boundMs)} s`,
    x(s.boundRatio),
    x(s.vsUsualZstd),
    x(s.vsUsual),
    x(s.singleVsFloor),
    x(s.checksCost),
    x(s.singleVsChecked),
    x(s.fanOutCost),
    s.tricopyRss === undefined ? '—' : mib(s.tricopyRss),
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

const met = (ok: boolean) => (ok ? 'MET' : 'MISSED');
const fmt = (v: number | undefined) => (v === undefined ? '—' : `${v.toFixed(2)}×`);

/** The issue's targets for tricopy's defaults, each reported as met or missed with the figure behind it. */
export function targets(summaries: readonly Summary[]): string[] {
  const lines: string[] = [];
  for (const s of summaries) {
    const parts: string[] = [];
    if (s.network === 'shaped') {
      parts.push(
        `3 destinations ≥ 2× faster than the usual script with zstd: ${met((s.vsUsualZstd ?? 0) >= 2)} (${fmt(s.vsUsualZstd)})`,
        `within 1.15× of the bound (${s.bound}): ${met((s.boundRatio ?? Infinity) <= 1.15)} (${fmt(s.boundRatio)})`,
      );
    } else {
      parts.push(
        `3 destinations no slower than the usual script with zstd: ${met((s.vsUsualZstd ?? 0) >= 1)} (${fmt(s.vsUsualZstd)} faster)`,
      );
    }
    parts.push(
      `1 destination within 1.15× of dump | zstd alone: ${met((s.singleVsFloor ?? Infinity) <= 1.15)} (${fmt(s.singleVsFloor)}; the same checks by programs alone: ${fmt(s.checksCost)})`,
    );
    parts.push(
      `peak RSS ≤ 150 MiB: ${met(s.tricopyRss !== undefined && s.tricopyRss <= 150 * MiB)} (${s.tricopyRss === undefined ? '—' : mib(s.tricopyRss)} MiB)`,
    );
    if (s.restoreVsFloor !== undefined) {
      parts.push(
        `restore within 1.2× of the restore tool alone: ${met(s.restoreVsFloor <= 1.2)} (${fmt(s.restoreVsFloor)})`,
      );
    }
    lines.push(`${s.scenario}: ${parts.join('; ')}`);
  }
  for (const s of summaries.filter((x) => x.size === 'large')) {
    const small = summaries.find(
      (x) => x.size === 'small' && x.engine === s.engine && x.network === s.network,
    )?.tricopyRss;
    if (small !== undefined && s.tricopyRss !== undefined) {
      const flat = s.tricopyRss <= small * 1.25 + 8 * MiB;
      lines.push(
        `${s.engine} ${s.network}: RSS flat between small and large: ${met(flat)} (${mib(small)} → ${mib(s.tricopyRss)} MiB)`,
      );
    }
  }
  return lines;
}
