import { describe, expect, it } from 'vitest';
import { sparkline, sparklinePoints } from './sparkline.js';

describe('sparkline', () => {
  it('scales a series between its min and max, oldest on the left', () => {
    expect(sparklinePoints([10, 20, 30], 104, 24)).toEqual([
      [2, 22],
      [52, 12],
      [102, 2],
    ]);
  });

  it('draws a change of 0.1 % as a nearly flat line, not as a fall across the whole chart', () => {
    const ys = sparklinePoints([1_000_000, 999_000], 100, 20).map(([, y]) => y);
    expect(Math.abs((ys[0] as number) - (ys[1] as number))).toBeLessThan(1);
  });

  it('puts a flat series, and a single value, in the middle', () => {
    expect(sparklinePoints([5, 5], 100, 20).map(([, y]) => y)).toEqual([10, 10]);
    expect(sparklinePoints([7], 100, 20)).toEqual([[2, 10]]);
  });

  it('renders an SVG with its title, a line and a dot on the newest value; nothing for no values', () => {
    const svg = sparkline([1, 3], { title: 'sizes', width: 54, height: 14 });
    expect(svg).toMatch(/^<svg class="spark" [^>]*width="54" height="14" viewBox="0 0 54 14" role="img">/);
    expect(svg).toContain('<title>sizes</title>');
    expect(svg).toContain('points="2,12 52,2"');
    expect(svg).toContain('<circle cx="52" cy="2" r="2"');
    expect(svg).not.toContain('<script');
    expect(sparkline([4], { title: 't' })).not.toContain('<polyline');
    expect(sparkline([], { title: 't' })).toBe('');
  });
});
