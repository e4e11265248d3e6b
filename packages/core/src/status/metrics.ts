import { writeFileBeside } from '@tricopy/contract';
import type { JobStatus } from './fleet-status.js';

/** The metrics in Prometheus' text exposition format. */
export async function renderMetrics(jobs: readonly JobStatus[]): Promise<string> {
  // Loaded on first use: prom-client (and what it pulls in) would slow every other command's start-up.
  const { metricsRegistry } = await import('./metrics-registry.js');
  return metricsRegistry(jobs).metrics();
}

/** prom-client's Registry.contentType (the text format 0.0.4), without loading prom-client at start-up. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Writes the metrics for node_exporter's textfile collector: to a new temporary file in the same folder (created
 * exclusively with a random name, never through a symlink someone planted there), then renamed over `path`, so the
 * collector never reads half a file. The temporary name does not end in `.prom`.
 */
export async function writeTextfile(path: string, jobs: readonly JobStatus[]): Promise<void> {
  await writeFileBeside(path, await renderMetrics(jobs), 0o644);
}
