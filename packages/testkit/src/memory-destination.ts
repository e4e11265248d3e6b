import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertSafeKey,
  assertSafePrefix,
  type Destination,
  type DestinationCapabilities,
  DestinationError,
  type DestinationPlugin,
  NotFoundError,
  type ObjectInfo,
  type PutOptions,
  type PutResult,
} from '@tricopy/contract';

/** The operating-system errors a store typically fails with. */
export type FaultError = 'ENOSPC' | 'EACCES' | 'ECONNRESET';

export type Fault =
  /** Takes `bytes` bytes, then fails like a full disk, a read-only folder or a dropped connection. */
  | {
      readonly kind: 'fail-after';
      readonly bytes: number;
      readonly error: FaultError;
      readonly raw?: boolean;
    }
  /** Stores every byte but flips one (at offset `at`, default the middle); reports what it stored. */
  | { readonly kind: 'corrupt'; readonly at?: number }
  /** Stores only the first `bytes` bytes; reports what it stored. */
  | { readonly kind: 'truncate'; readonly bytes: number }
  /** Takes `after` bytes, then reads nothing more until the body is destroyed or the signal aborts. */
  | { readonly kind: 'stall'; readonly after: number }
  /** Stores the object but leaves the sha256 out of the put result and of stat, whatever the capabilities say. */
  | { readonly kind: 'omit-sha256' }
  /** `get` only: once the reader has read it all, the object is replaced with `bytes` (a race with another writer). */
  | { readonly kind: 'replace-after-read'; readonly bytes: Buffer }
  /** `get` only: the object's bytes, then zeros without end (a hostile store filling the reader's disk). */
  | { readonly kind: 'endless' };

export interface FaultRule {
  readonly op: 'put' | 'get';
  /** Only keys this matches (default: every key). */
  readonly key?: RegExp;
  /** How many matching operations it hits (default 1; `Infinity` for all). */
  readonly times?: number;
  readonly fault: Fault;
}

export interface MemoryDestinationOptions {
  readonly name?: string;
  /** Default: local, read-back and stored sha256 (like the local disk). */
  readonly capabilities?: DestinationCapabilities;
  readonly faults?: readonly FaultRule[];
}

const FAULT_MESSAGES: Record<FaultError, { message: string; retryable: boolean }> = {
  ENOSPC: { message: 'no space left on device', retryable: false },
  EACCES: { message: 'permission denied', retryable: false },
  ECONNRESET: { message: 'connection reset by peer', retryable: true },
};

/**
 * An in-memory destination that can be told to fail: after N bytes (ENOSPC-, EACCES- or ECONNRESET-like), by
 * corrupting, truncating or stalling a put, by leaving out the sha256, or by failing or racing a `get`. Faults are
 * rules consumed in order by the operations they match. It honours the contract otherwise (atomic puts, safe keys).
 */
export class MemoryDestination implements Destination {
  readonly name: string;
  readonly capabilities: DestinationCapabilities;
  /** What is stored, by key. Tests may read and change it. */
  readonly objects = new Map<string, Buffer>();
  /** Every operation as `op key`, in order. */
  readonly log: string[] = [];
  /** The `sizeHint` every put was given, by key, in order. */
  readonly sizeHints: { key: string; sizeHint: number | undefined }[] = [];
  readonly #rules: { rule: FaultRule; left: number }[] = [];
  /** Keys stored by an `omit-sha256` put. */
  readonly #withoutSha = new Set<string>();

  constructor(options: MemoryDestinationOptions = {}) {
    this.name = options.name ?? 'memory';
    this.capabilities = options.capabilities ?? { local: true, readBackSha256: true, storedSha256: true };
    for (const rule of options.faults ?? []) this.inject(rule);
  }

  /** Adds a fault rule. */
  inject(rule: FaultRule): this {
    this.#rules.push({ rule, left: rule.times ?? 1 });
    return this;
  }

  /** Removes every fault rule not yet consumed. */
  heal(): void {
    this.#rules.length = 0;
  }

  locate(key: string): string {
    return `memory://${this.name}/${key}`;
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    assertSafeKey(key);
    this.log.push(`put ${key}`);
    this.sizeHints.push({ key, sizeHint: options.sizeHint });
    const fault = this.#take('put', key);
    const sink = new CollectingSink(fault);
    try {
      await pipeline(body, sink, ...(options.signal === undefined ? [] : [{ signal: options.signal }]));
    } catch (error) {
      // Like a real store, it removes its temporary object before it answers.
      await new Promise((resolve) => setImmediate(resolve));
      throw this.#failure('put', key, error);
    }
    let bytes: Buffer = Buffer.concat(sink.chunks);
    if (fault?.kind === 'truncate') bytes = bytes.subarray(0, Math.min(fault.bytes, bytes.length));
    if (fault?.kind === 'corrupt' && bytes.length > 0) bytes = flipByte(bytes, fault.at);
    this.objects.set(key, bytes);
    const withSha = this.capabilities.readBackSha256 === true && fault?.kind !== 'omit-sha256';
    if (fault?.kind === 'omit-sha256') this.#withoutSha.add(key);
    else this.#withoutSha.delete(key);
    return { size: bytes.length, location: this.locate(key), ...(withSha ? { sha256: sha256(bytes) } : {}) };
  }

  async get(key: string): Promise<Readable> {
    assertSafeKey(key);
    this.log.push(`get ${key}`);
    const bytes = this.objects.get(key);
    if (bytes === undefined) throw new NotFoundError(key, `destination "${this.name}"`);
    const fault = this.#take('get', key);
    if (fault?.kind === 'fail-after')
      return failingReader(bytes, fault.bytes, this.#error(fault, 'get', key));
    if (fault?.kind === 'replace-after-read') {
      const replacement = fault.bytes;
      const reader = Readable.from(chunksOf(bytes));
      reader.once('end', () => this.objects.set(key, replacement));
      return reader;
    }
    if (fault?.kind === 'endless') return endlessReader(bytes);
    return Readable.from(chunksOf(bytes));
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    assertSafeKey(key);
    this.log.push(`stat ${key}`);
    const bytes = this.objects.get(key);
    if (bytes === undefined) return undefined;
    const withSha = this.capabilities.storedSha256 === true && !this.#withoutSha.has(key);
    return { key, size: bytes.length, ...(withSha ? { sha256: sha256(bytes) } : {}) };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertSafePrefix(prefix);
    for (const [key, bytes] of [...this.objects].sort(([a], [b]) => a.localeCompare(b))) {
      if (key.startsWith(prefix)) yield { key, size: bytes.length };
    }
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    this.log.push(`delete ${key}`);
    this.objects.delete(key);
  }

  /** Keeps its objects: a memory destination outlives the engine's reconnects. */
  async close(): Promise<void> {}

  #take(op: FaultRule['op'], key: string): Fault | undefined {
    const hit = this.#rules.find((r) => r.left > 0 && r.rule.op === op && (r.rule.key?.test(key) ?? true));
    if (hit === undefined) return undefined;
    hit.left--;
    return hit.rule.fault;
  }

  #failure(op: string, key: string, error: unknown): unknown {
    if (error instanceof InjectedFault) return this.#error(error.fault, op, key);
    return error;
  }

  #error(fault: Extract<Fault, { kind: 'fail-after' }>, op: string, key: string): Error {
    const { message, retryable } = FAULT_MESSAGES[fault.error];
    if (fault.raw)
      return Object.assign(new Error(`${fault.error}: ${message}, ${op} '${key}'`), { code: fault.error });
    return new DestinationError(`destination "${this.name}": ${op} of "${key}" failed: ${message}`, {
      retryable,
      cause: Object.assign(new Error(message), { code: fault.error }),
    });
  }
}

/** A destination plugin handing out the given instances by destination name (the same instance every time). */
export function memoryDestinationPlugin(
  instances: (name: string) => MemoryDestination,
): DestinationPlugin<Record<string, unknown>> {
  return {
    kind: 'destination',
    contractVersion: 1,
    type: 'memory',
    defaults: { media: 'memory', offsite: false },
    optionsSchema: {
      '~standard': {
        version: 1,
        vendor: 'tricopy-testkit',
        validate: (value) => ({ value: value as Record<string, unknown> }),
      },
    },
    create: (_options, context) => instances(context.name),
  };
}

class InjectedFault extends Error {
  constructor(readonly fault: Extract<Fault, { kind: 'fail-after' }>) {
    super(`injected ${fault.error}`);
  }
}

/** Collects a body's chunks, applying a fail-after or stall fault as the bytes arrive. */
class CollectingSink extends Writable {
  readonly chunks: Buffer[] = [];
  #received = 0;
  readonly #fault: Fault | undefined;

  constructor(fault: Fault | undefined) {
    super();
    this.#fault = fault;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const fault = this.#fault;
    const limit =
      fault?.kind === 'fail-after' ? fault.bytes : fault?.kind === 'stall' ? fault.after : undefined;
    if (limit !== undefined && this.#received + chunk.length > limit) {
      this.chunks.push(chunk.subarray(0, Math.max(0, limit - this.#received)));
      this.#received = limit;
      if (fault?.kind === 'fail-after') callback(new InjectedFault(fault));
      // A stall never calls back: the write stays pending until the stream is destroyed.
      return;
    }
    this.chunks.push(chunk);
    this.#received += chunk.length;
    callback();
  }
}

const CHUNK = 64 * 1024;

function* chunksOf(bytes: Buffer): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += CHUNK) yield bytes.subarray(at, at + CHUNK);
}

function endlessReader(bytes: Buffer): Readable {
  const zeros = Buffer.alloc(64 * 1024);
  return Readable.from(
    (async function* () {
      yield* chunksOf(bytes);
      // One chunk per turn of the event loop, as a network would: a reader's timers still fire.
      for (;;) {
        await new Promise((resolve) => setImmediate(resolve));
        yield zeros;
      }
    })(),
  );
}

function failingReader(bytes: Buffer, after: number, error: Error): Readable {
  return Readable.from(
    (async function* () {
      yield* chunksOf(bytes.subarray(0, Math.min(after, bytes.length)));
      throw error;
    })(),
  );
}

function flipByte(bytes: Buffer, at: number | undefined): Buffer {
  const copy = Buffer.from(bytes);
  const index = Math.min(copy.length - 1, Math.max(0, at ?? Math.floor(copy.length / 2)));
  copy[index] = (copy[index] as number) ^ 0x01;
  return copy;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
