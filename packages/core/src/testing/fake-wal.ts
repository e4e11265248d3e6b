import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WalArchiving } from '@tricopy/contract';

/**
 * An in-process WAL receiver for the archiver's unit tests: the test writes WAL files into the spool (a `.partial`
 * first, renamed when complete, as pg_receivewal does) and ends or fails the receiver; acknowledgements are recorded.
 */
export class FakeWal implements WalArchiving {
  readonly acknowledged: string[] = [];
  switches = 0;
  receives = 0;
  switchAfterMs?: number;
  #spool: string | undefined;
  #fail: ((error: Error) => void) | undefined;
  #started: (() => void) | undefined;
  #running = new Promise<void>((resolve) => {
    this.#started = resolve;
  });

  async receive(spool: string, options: { readonly signal: AbortSignal }) {
    this.#spool = spool;
    this.receives++;
    const ended = new Promise<void>((resolve, reject) => {
      this.#fail = reject;
      if (options.signal.aborted) resolve();
      options.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.#started?.();
    return { ended };
  }

  isComplete(name: string): boolean {
    return /^[0-9A-F]{24}$/.test(name) || /^[0-9A-F]{8}\.history$/.test(name);
  }

  compare(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  async acknowledge(name: string): Promise<void> {
    this.acknowledged.push(name);
  }

  async switchSegment(): Promise<void> {
    this.switches++;
  }

  /** Resolves once a receiver runs. */
  running(): Promise<void> {
    return this.#running;
  }

  /** Writes a WAL file as the receiver would: partial first, then complete. */
  async write(name: string, bytes: Buffer): Promise<void> {
    const spool = this.#spool;
    if (spool === undefined) throw new Error('FakeWal.write before receive');
    await writeFile(join(spool, `${name}.partial`), bytes);
    await rename(join(spool, `${name}.partial`), join(spool, name));
  }

  /** Writes several WAL files, then completes them all at once (a burst the archiver finds together). */
  async writeBurst(files: ReadonlyMap<string, Buffer>): Promise<void> {
    const spool = this.#spool;
    if (spool === undefined) throw new Error('FakeWal.writeBurst before receive');
    for (const [name, bytes] of files) await writeFile(join(spool, `${name}.partial`), bytes);
    await Promise.all(
      [...files.keys()].map((name) => rename(join(spool, `${name}.partial`), join(spool, name))),
    );
  }

  /** Writes a partial file only (WAL not complete yet). */
  async writePartial(name: string, bytes: Buffer): Promise<void> {
    if (this.#spool === undefined) throw new Error('FakeWal.writePartial before receive');
    await writeFile(join(this.#spool, `${name}.partial`), bytes);
  }

  /** The receiver fails (the server went away). */
  fail(message: string): void {
    this.#running = new Promise<void>((resolve) => {
      this.#started = resolve;
    });
    this.#fail?.(new Error(message));
  }
}
