import { Readable } from 'node:stream';
import { type Dump, type Logger, type RestoreOptions, SourceError } from '@tricopy/contract';

/**
 * Server-wide objects (roles, users and their grants) travel in the same artifact as the dump, as a section in
 * front of it, so they go through every stage the dump goes through (compression, SHA-256, every copy's
 * cross-check, encryption): one line `TRICOPY-GLOBALS 1 <bytes>\n`, that many bytes of SQL, then the dump's bytes
 * unchanged. The format gets the suffix `+globals`, so a restore knows to split it.
 */
export const GLOBALS_FORMAT_SUFFIX = '+globals';
const MAGIC = 'TRICOPY-GLOBALS 1 ';
const MAX_HEADER = 64;
/** Roles and users are small; more than this is not a globals section. */
export const MAX_GLOBALS_BYTES = 64 * 1024 * 1024;

export function hasGlobalsSection(format: string): boolean {
  return format.endsWith(GLOBALS_FORMAT_SUFFIX);
}

/** The dump's own format, without the section suffix. */
export function baseFormat(format: string): string {
  return hasGlobalsSection(format) ? format.slice(0, -GLOBALS_FORMAT_SUFFIX.length) : format;
}

/**
 * The dump with `globals` (SQL) in front; the dump's stream is read only when the engine reads this one. `summary`
 * (names only, never a password hash) goes to the manifest as `details.globals`.
 */
export function withGlobalsSection(
  dump: Dump,
  globals: Buffer,
  summary: Readonly<Record<string, unknown>> = {},
): Dump {
  const header = Buffer.from(`${MAGIC}${globals.length}\n`, 'latin1');
  async function* bytes(): AsyncGenerator<Buffer> {
    yield header;
    if (globals.length > 0) yield globals;
    yield* dump.stream as AsyncIterable<Buffer>;
  }
  const stream = Readable.from(bytes(), { objectMode: false });
  // Destroying the combined stream (an aborted run) ends the dump's stream too.
  stream.once('close', () => {
    if (!dump.stream.destroyed) dump.stream.destroy();
  });
  const completion = dump.completion.then((info) => ({
    ...info,
    details: { ...info.details, globals: { bytes: globals.length, ...summary } },
  }));
  completion.catch(() => {});
  return { ...dump, stream, completion, format: `${dump.format}${GLOBALS_FORMAT_SUFFIX}` };
}

/**
 * Reads the section off the front of `input`: its SQL, and a stream of the dump's bytes that follow. Bounded: the
 * header line and the section are size-checked before anything is kept.
 */
export async function splitGlobalsSection(
  input: Readable,
  where: string,
): Promise<{ globals: Buffer; rest: Readable }> {
  const iterator = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let held = Buffer.alloc(0);
  const more = async (): Promise<boolean> => {
    const next = await iterator.next();
    if (next.done) return false;
    held = Buffer.concat([held, Buffer.from(next.value)]);
    return true;
  };
  while (!held.subarray(0, MAX_HEADER).includes(0x0a)) {
    if (held.length >= MAX_HEADER || !(await more())) throw badSection(where, 'no section header');
  }
  const newline = held.indexOf(0x0a);
  const header = held.subarray(0, newline).toString('latin1');
  const size = header.startsWith(MAGIC) ? Number(header.slice(MAGIC.length)) : Number.NaN;
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_GLOBALS_BYTES)
    throw badSection(where, `bad section header "${header.slice(0, 40)}"`);
  held = held.subarray(newline + 1);
  while (held.length < size) {
    if (!(await more())) throw badSection(where, `the section ends after ${held.length} of ${size} bytes`);
  }
  const globals = Buffer.from(held.subarray(0, size));
  const leftover = held.subarray(size);
  async function* rest(): AsyncGenerator<Buffer> {
    if (leftover.length > 0) yield leftover;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { globals, rest: Readable.from(rest(), { objectMode: false }) };
}

function badSection(where: string, what: string): SourceError {
  return new SourceError(`${where}: the backup's globals section is damaged (${what})`);
}

/**
 * What a restore reads: the dump's bytes in its own format, and the globals section's SQL when the backup has one.
 * `globals` asked of a backup without a section is refused, naming why.
 */
export async function openRestoreInput(
  input: Readable,
  options: RestoreOptions,
  where: string,
): Promise<{ input: Readable; format: string; globals?: Buffer }> {
  if (!hasGlobalsSection(options.format)) {
    if (options.globals === true) {
      throw new SourceError(
        `${where}: this backup holds no roles or users (its source did not have globals: true when it was made)`,
      );
    }
    return { input, format: options.format };
  }
  const { globals, rest } = await splitGlobalsSection(input, where);
  return { input: rest, format: baseFormat(options.format), globals };
}

/** What recreating the server-wide objects did: names only. */
export interface GlobalsRestoreResult {
  readonly created: readonly string[];
  /** Already on the server: left exactly as they are. */
  readonly existing: readonly string[];
  /** What can only be applied once the data is there (grants on tables that did not exist yet). */
  readonly afterData?: () => Promise<void>;
}

export interface GlobalsRestorer {
  /** `source "NAME"`, for messages. */
  readonly where: string;
  readonly logger: Logger;
  /** What the section holds, for the log line: `roles`, `users`. */
  readonly what: string;
  recreate(sql: Buffer): Promise<GlobalsRestoreResult>;
}

/**
 * A source's restore around its globals section: the dump's bytes go to `restoreData` in their own format; with
 * `options.globals`, `restoreData` calls `beforeData` once the target is ready and before any data, which recreates
 * the missing objects and logs what it created and what it left alone; what needs the data (grants on tables) is
 * applied after it.
 */
export async function restoreWithGlobals(
  input: Readable,
  options: RestoreOptions,
  restorer: GlobalsRestorer,
  restoreData: (input: Readable, options: RestoreOptions, beforeData?: () => Promise<void>) => Promise<void>,
): Promise<void> {
  const opened = await openRestoreInput(input, options, restorer.where);
  const { globals } = opened;
  let afterData: (() => Promise<void>) | undefined;
  const beforeData =
    options.globals === true && globals !== undefined
      ? async () => {
          const result = await restorer.recreate(globals);
          afterData = result.afterData;
          const list = (names: readonly string[]) => (names.length === 0 ? 'none' : names.join(', '));
          restorer.logger.info(
            `${restorer.where}: ${restorer.what} created: ${list(result.created)}; left alone (they exist): ${list(result.existing)}`,
          );
        }
      : undefined;
  await restoreData(opened.input, { ...options, format: opened.format }, beforeData);
  await afterData?.();
}

/** A restore test reads past the section: ownership and roles are not what it checks. */
export async function withoutGlobals<T>(
  input: Readable,
  options: RestoreOptions,
  where: string,
  run: (input: Readable, options: RestoreOptions) => Promise<T>,
): Promise<T> {
  const opened = await openRestoreInput(input, { ...options, globals: false }, where);
  return run(opened.input, { ...options, format: opened.format });
}
