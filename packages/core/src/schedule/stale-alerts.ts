import type { Catalog } from '../catalog/catalog.js';
import type { LoadedConfig } from '../config/load.js';
import { type NotifyOptions, notifyPayload } from '../notify/notify.js';
import { formatAge, type JobStatus, staleReason } from '../status/fleet-status.js';
import { redactStrings } from '../util/redactor.js';

interface Sources {
  readonly catalog: Catalog;
  readonly config: LoadedConfig;
}

/**
 * Notifies once per stale episode: a job that turns stale starts an episode in the catalog and its `notify`
 * targets that want failures hear about it (the payload's `event` is `stale`); while it stays stale nothing more is
 * sent; once it is fresh again the episode ends, so the next time it turns stale is a new one. Returns the jobs
 * notified. Never throws for a notification that cannot be delivered (it is logged).
 */
export async function alertStaleJobs(
  sources: Sources,
  jobs: readonly JobStatus[],
  options: NotifyOptions,
): Promise<string[]> {
  const started: JobStatus[] = [];
  for (const status of jobs) {
    if (!status.staleness.stale) await sources.catalog.endStaleEpisode(status.job);
    else if (await sources.catalog.startStaleEpisode(status.job)) started.push(status);
  }
  await Promise.all(
    started.map((status) =>
      notifyPayload(
        sources.config.jobs.get(status.job)?.notify ?? [],
        'failure',
        `stale job ${status.job}`,
        stalePayload(status, options.redact),
        options,
      ),
    ),
  );
  return started.map((s) => s.job);
}

function stalePayload(status: JobStatus, redact: (text: string) => string): Record<string, unknown> {
  const s = status.staleness;
  const payload = {
    text: `⏰ tricopy job ${status.job}: STALE (${staleReason(s)})`,
    event: 'stale',
    job: status.job,
    maxAge: formatAge(s.maxAgeMs ?? 0),
    newestVerifiedAt: s.newestVerifiedAt,
    overdueSeconds: s.overdueMs === null ? null : Math.round(s.overdueMs / 1000),
    lastSuccessAt: status.lastSuccessAt,
  };
  return redactStrings(payload, redact) as Record<string, unknown>;
}
