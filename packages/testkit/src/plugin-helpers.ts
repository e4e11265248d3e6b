import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Dump, DumpInfo, StandardSchemaV1 } from '@tricopy/contract';
import { captureError } from './errors.js';

/** `options` as the plugin's own schema validates them; a bad set fails the test, naming the issues. */
export function validOptions<Options>(
  plugin: { readonly optionsSchema: StandardSchemaV1<unknown, Options> },
  options: unknown,
): Options {
  const result = plugin.optionsSchema['~standard'].validate(options);
  if (result instanceof Promise) throw new Error('validOptions: the schema validates asynchronously');
  if (result.issues !== undefined) throw new Error(`bad test options: ${JSON.stringify(result.issues)}`);
  return result.value;
}

/** Writes a dump's bytes to `file` and returns what the source reported once it finished. */
export async function dumpToFile(dump: Dump, file: string): Promise<DumpInfo> {
  await pipeline(dump.stream, createWriteStream(file));
  return dump.completion;
}

/** What `promise` rejects with, as an Error (with a source's `details`); fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { readonly details?: string }> {
  const error = await captureError(() => promise);
  if (!(error instanceof Error)) throw new Error(`expected an Error, got ${JSON.stringify(error)}`);
  return error;
}
