import { terminalSafe } from '@tricopy/core';

let stdoutGuarded = false;

/**
 * A reader that stops early (`tricopy list | head -1`) is normal: the rest of stdout is dropped quietly, and the
 * command still finishes what it was doing (a backup is never cut short because its summary has no reader).
 */
export function ignoreClosedStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
    process.stderr.write(`tricopy: cannot write to stdout: ${error.message}
`);
  });
}

/** Writes machine-readable output: one JSON document on stdout, nothing else there. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes a line for people: what a terminal would interpret (a forged name's escape sequence) is shown escaped. */
export function printLine(text = ''): void {
  process.stdout.write(`${terminalSafe(text)}\n`);
}

/** A plain text table: columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function shortHash(sha256: string | null | undefined): string {
  return sha256 ? sha256.slice(0, 12) : '-';
}
