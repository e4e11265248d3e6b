import type { Readable } from 'node:stream';
import type { Destination } from '@tricopy/contract';
import { type AppliedRead, Session } from '@tricopy/core';
import type { ReadProgress } from './progress.js';

type SessionOptions = ConstructorParameters<typeof Session>[0];

/** Says what a read of a backup's artifact is for; `pass` counts reads of the same copy (1, 2, ...). */
export type ReadLabel = (backupId: string, destination: string, pass: number) => string;

/**
 * A session whose destinations report every read of a backup's artifact to `progress`, so long reads (staging,
 * re-hashing, feeding a restore tool) show their bytes without the engine knowing about progress.
 */
export class MeteredSession extends Session {
  readonly #progress: ReadProgress;
  readonly #label: ReadLabel;
  readonly #passes = new Map<string, number>();

  constructor(options: SessionOptions, progress: ReadProgress, label: ReadLabel) {
    super(options);
    this.#progress = progress;
    this.#label = label;
  }

  override async destination(name: string): Promise<Destination> {
    const destination = await super.destination(name);
    return new Proxy(destination, {
      get: (target, property, receiver) => {
        if (property === 'get') {
          return async (key: string, options?: { signal?: AbortSignal }) =>
            this.#meter(name, key, await target.get(key, options));
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  override trackApply(stream: Readable, read: AppliedRead): Readable {
    return this.#progress.track(
      stream,
      this.#label(read.backupId, read.destination, this.#nextPass(read.destination, read.key)),
      read.size,
    );
  }

  #nextPass(destination: string, key: string): number {
    const id = `${destination} ${key}`;
    const pass = (this.#passes.get(id) ?? 0) + 1;
    this.#passes.set(id, pass);
    return pass;
  }

  async #meter(destination: string, key: string, stream: Readable): Promise<Readable> {
    const backupId = key.split('/')[1];
    const backup = backupId === undefined ? undefined : await this.catalog.getBackup(backupId);
    if (backup === undefined || backup.size === null || backup.artifactKey === null) return stream;
    if (
      !(await this.catalog.listCopies(backup.id)).some((c) => c.destination === destination && c.key === key)
    )
      return stream;
    return this.#progress.track(
      stream,
      this.#label(backup.id, destination, this.#nextPass(destination, key)),
      backup.size,
    );
  }
}
