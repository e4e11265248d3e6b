import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.js';

describe('metrics', () => {
  it("names prom-client's content type without loading prom-client at start-up", () => {
    expect(METRICS_CONTENT_TYPE).toBe(new Registry().contentType);
  });

  it('renders the registry, loaded on first use', async () => {
    expect(await renderMetrics([])).toContain('# TYPE tricopy_runs_total counter');
  });
});
