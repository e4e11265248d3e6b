import { type FSWatcher, watch } from 'node:fs';

/**
 * Wakes the archiver when something changes in the spool (fs.watch), and every `intervalMs` anyway: a watch can miss
 * events (network file systems, a folder replaced), the periodic scan cannot.
 */
export class SpoolWatch {
  readonly #watcher: FSWatcher | undefined;
  readonly #intervalMs: number;
  #changed = false;
  #wake: (() => void) | undefined;

  constructor(dir: string, intervalMs: number) {
    this.#intervalMs = intervalMs;
    try {
      this.#watcher = watch(dir, () => this.#notify());
      this.#watcher.on('error', () => undefined);
    } catch {
      this.#watcher = undefined;
    }
  }

  /** Resolves at the next change (at once if one came since the last wait), the next tick, or when `signal` aborts. */
  wait(signal: AbortSignal, also?: Promise<unknown>): Promise<void> {
    if (this.#changed || signal.aborted) {
      this.#changed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#wake = undefined;
        this.#changed = false;
        resolve();
      };
      const timer = setTimeout(done, this.#intervalMs);
      signal.addEventListener('abort', done, { once: true });
      also?.then(done, done);
      this.#wake = done;
    });
  }

  close(): void {
    this.#watcher?.close();
    this.#wake?.();
  }

  #notify(): void {
    this.#changed = true;
    this.#wake?.();
  }
}
