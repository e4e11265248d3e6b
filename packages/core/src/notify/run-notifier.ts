import type { NotifyTarget } from '../config/schema.js';
import type { JobResult } from '../results/backup-result.js';
import {
  eventOf,
  type NotifyOptions,
  notifyResult,
  notifyStart,
  pingResult,
  pingStart,
  runPayload,
  worstEvent,
} from './notify.js';

type Healthcheck = Extract<NotifyTarget, { type: 'healthcheck' }>;

interface SharedCheck {
  readonly target: Healthcheck;
  readonly jobs: ReadonlySet<string>;
  readonly results: JobResult[];
  started: boolean;
  sent: boolean;
}

/**
 * Sends the notifications of one run of several jobs. A healthcheck URL that more than one job of the run uses (the
 * usual top-level `healthcheck`) holds one state, so it is pinged once at the first job's start and once when the
 * last of its jobs has finished, with the worst result among them. Every other target hears about each job.
 */
export class RunNotifier {
  readonly #jobs: ReadonlyMap<string, readonly NotifyTarget[]>;
  readonly #shared = new Map<string, SharedCheck>();
  readonly #options: NotifyOptions;

  constructor(jobs: ReadonlyMap<string, readonly NotifyTarget[]>, options: NotifyOptions) {
    this.#options = options;
    const users = new Map<string, { target: Healthcheck; jobs: Set<string> }>();
    for (const [job, targets] of jobs) {
      for (const target of targets) {
        if (target.type !== 'healthcheck') continue;
        const entry = users.get(target.url) ?? { target, jobs: new Set<string>() };
        entry.jobs.add(job);
        users.set(target.url, entry);
      }
    }
    for (const [url, { target, jobs: names }] of users) {
      if (names.size > 1)
        this.#shared.set(url, { target, jobs: names, results: [], started: false, sent: false });
    }
    this.#jobs = new Map(
      [...jobs].map(([job, targets]) => [
        job,
        targets.filter((t) => t.type !== 'healthcheck' || !this.#shared.has(t.url)),
      ]),
    );
  }

  async jobStarting(job: string): Promise<void> {
    const shared = [...this.#shared.values()].filter((s) => s.jobs.has(job) && !s.started);
    for (const check of shared) check.started = true;
    await Promise.all([
      notifyStart(this.#jobs.get(job) ?? [], job, this.#options),
      ...shared.map((check) => pingStart(check.target, this.#label(check), this.#options)),
    ]);
  }

  async jobFinished(result: JobResult): Promise<void> {
    const complete: SharedCheck[] = [];
    for (const check of this.#shared.values()) {
      if (!check.jobs.has(result.job) || check.sent) continue;
      check.results.push(result);
      const finished = new Set(check.results.map((r) => r.job));
      if (finished.size === check.jobs.size) {
        check.sent = true;
        complete.push(check);
      }
    }
    await Promise.all([
      notifyResult(this.#jobs.get(result.job) ?? [], result, this.#options),
      ...complete.map((check) => {
        const payload = runPayload(check.results, this.#options.redact);
        const event = worstEvent(check.results.map(eventOf));
        return pingResult(check.target, event, this.#label(check), payload, this.#options);
      }),
    ]);
  }

  #label(check: SharedCheck): string {
    return `jobs ${[...check.jobs].join(', ')}`;
  }
}
