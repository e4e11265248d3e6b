/** A small inline SVG line chart of a series (oldest first), server-rendered: no script, no build step. */

export interface SparklineOptions {
  readonly width?: number;
  readonly height?: number;
  /** The chart's accessible name and tooltip. */
  readonly title: string;
}

const PAD = 2;

/**
 * The chart's height spans at least this share of the largest value, so that a change of 0.1 % stays a nearly flat
 * line instead of filling the chart like a collapse would.
 */
export const MIN_SPAN_SHARE = 0.1;

/**
 * x,y of each value, scaled between its series' min and max, or over a band of MIN_SPAN_SHARE of the largest
 * value centred on the series when the series varies less (a flat series sits in the middle).
 */
export function sparklinePoints(
  values: readonly number[],
  width: number,
  height: number,
): [number, number][] {
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = Math.max(max - min, Math.abs(max) * MIN_SPAN_SHARE);
  const low = (min + max) / 2 - span / 2;
  const step = values.length > 1 ? (width - 2 * PAD) / (values.length - 1) : 0;
  return values.map((v, i) => {
    const y = span === 0 ? height / 2 : height - PAD - ((v - low) / span) * (height - 2 * PAD);
    return [round(PAD + i * step), round(y)];
  });
}

const round = (n: number) => Math.round(n * 10) / 10;

/** The SVG element, or an empty string when there are no values. The newest value is marked with a dot. */
export function sparkline(values: readonly number[], options: SparklineOptions): string {
  if (values.length === 0) return '';
  const width = options.width ?? 100;
  const height = options.height ?? 20;
  const points = sparklinePoints(values, width, height);
  const [lastX, lastY] = points[points.length - 1] as [number, number];
  const line =
    points.length > 1
      ? `<polyline fill="none" stroke="#3563a8" stroke-width="1.5" points="${points.map((p) => p.join(',')).join(' ')}"/>`
      : '';
  return `<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img"><title>${options.title}</title>${line}<circle cx="${lastX}" cy="${lastY}" r="2" fill="#3563a8"/></svg>`;
}
