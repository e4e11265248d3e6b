import { PassThrough, Writable } from 'node:stream';

const BRANCH_HIGH_WATER_MARK = 1024 * 1024;

export interface Branch {
  readonly name: string;
  /** What the branch's consumer (a destination's put) reads. */
  readonly stream: PassThrough;
  /** True until the branch is detached (its consumer finished or failed). */
  readonly alive: boolean;
  /**
   * The fan-out itself was stopped (by what feeds it) while this branch still had bytes to take: its consumer's
   * failure is a consequence, not a cause.
   */
  readonly cut: boolean;
}

interface BranchState {
  name: string;
  stream: PassThrough;
  alive: boolean;
  cut: boolean;
  release: (() => void) | undefined;
}

/**
 * Writes every chunk to every live branch. The slowest live branch sets the pace (a chunk is acknowledged once every
 * live branch has room), so memory stays at about one high-water mark per branch whatever the total size.
 * A branch whose consumer fails is detached and the others go on.
 */
export class FanOut extends Writable {
  readonly #branches: BranchState[];
  readonly #stallMs: number | undefined;

  /** `stallMs`: a branch that takes no data for that long is detached, so one stalled destination cannot hold the others. */
  constructor(names: readonly string[], options: { stallMs?: number } = {}) {
    super({ highWaterMark: BRANCH_HIGH_WATER_MARK });
    this.#stallMs = options.stallMs;
    this.#branches = names.map((name) => {
      const stream = new PassThrough({ highWaterMark: BRANCH_HIGH_WATER_MARK });
      // A branch's failure reaches its consumer through the consumer's own reading; a consumer that already gave
      // up (a destination that failed to open its file) must not turn the branch's error into a crash.
      stream.on('error', () => {});
      return { name, stream, alive: true, cut: false, release: undefined };
    });
  }

  get branches(): readonly Branch[] {
    return this.#branches;
  }

  get aliveCount(): number {
    return this.#branches.filter((b) => b.alive).length;
  }

  /** Stops feeding a branch; its stream is destroyed with `reason` so its consumer stops too. */
  detach(name: string, reason?: Error): void {
    const branch = this.#branches.find((b) => b.name === name);
    if (branch === undefined || !branch.alive) return;
    branch.alive = false;
    if (!branch.stream.writableEnded) branch.stream.destroy(reason);
    branch.release?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const waits: Promise<void>[] = [];
    for (const branch of this.#branches) {
      if (!branch.alive) continue;
      if (!branch.stream.write(chunk)) waits.push(this.#roomIn(branch));
    }
    if (waits.length === 0) callback();
    else Promise.all(waits).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    for (const branch of this.#branches) {
      if (!branch.alive) continue;
      branch.stream.end();
      this.#watchDraining(branch);
    }
    callback();
  }

  /**
   * After the last chunk, a branch's consumer still has its buffered bytes (and the end) to take; one that takes
   * nothing for `stallMs` (its buffer unchanged, the end not read) is detached like a consumer that stalls mid-stream.
   */
  #watchDraining(branch: BranchState): void {
    const stallMs = this.#stallMs;
    if (stallMs === undefined) return;
    let seen = branch.stream.readableLength;
    const timer = setInterval(() => {
      const now = branch.stream.readableLength;
      if (!branch.alive || branch.stream.readableEnded || branch.stream.destroyed) clearInterval(timer);
      else if (now === seen) {
        clearInterval(timer);
        // Ended, so detach() would leave it to drain: destroy it, so its consumer stops.
        branch.alive = false;
        branch.stream.destroy(stalledError(stallMs));
      }
      seen = now;
    }, stallMs);
    timer.unref();
    branch.stream.once('close', () => clearInterval(timer));
    branch.stream.once('end', () => clearInterval(timer));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    for (const branch of this.#branches) {
      // Branches that were ended after the last chunk keep draining to their consumers.
      if (branch.alive && !branch.stream.writableEnded) {
        branch.alive = false;
        branch.cut = error !== null;
        branch.stream.destroy(error ?? new Error('the backup pipeline was stopped'));
        branch.release?.();
      }
    }
    callback(error);
  }

  #roomIn(branch: BranchState): Promise<void> {
    return new Promise((resolve) => {
      const stallMs = this.#stallMs;
      const timer =
        stallMs === undefined
          ? undefined
          : setTimeout(() => this.detach(branch.name, stalledError(stallMs)), stallMs);
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        branch.stream.off('drain', done);
        branch.stream.off('close', done);
        branch.release = undefined;
        resolve();
      };
      branch.release = done;
      branch.stream.once('drain', done);
      branch.stream.once('close', done);
    });
  }
}

function stalledError(stallMs: number): Error {
  return new Error(`the destination took no data for ${Math.round(stallMs / 1000)} s (stalled); detached`);
}
