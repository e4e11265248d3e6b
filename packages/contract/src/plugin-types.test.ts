import type { Readable } from 'node:stream';
import { describe, expectTypeOf, it } from 'vitest';
import type { Destination, DestinationPlugin, Dump, Source, SourcePlugin } from './plugin.js';
import type { CONTRACT_VERSION } from './version.js';

// Checked by `tsc` (pnpm typecheck); vitest only runs the calls.
describe('the contract types', () => {
  it('contractVersion is the literal version this package describes', () => {
    expectTypeOf<DestinationPlugin['contractVersion']>().toEqualTypeOf<typeof CONTRACT_VERSION>();
    expectTypeOf<SourcePlugin['contractVersion']>().toEqualTypeOf<1>();
    const declared: Pick<DestinationPlugin, 'contractVersion'> = {
      // @ts-expect-error a plugin cannot declare a contract this package does not describe
      contractVersion: 2,
    };
    expectTypeOf(declared).not.toBeAny();
  });

  it('streams are node:stream Readables, so plugins need no casts', () => {
    expectTypeOf<Dump['stream']>().toEqualTypeOf<Readable>();
    expectTypeOf<Destination['put']>().parameter(1).toEqualTypeOf<Readable>();
    expectTypeOf<Destination['get']>().returns.resolves.toEqualTypeOf<Readable>();
    expectTypeOf<Source['restore']>().parameter(0).toEqualTypeOf<Readable>();
    expectTypeOf<Source['restoreTest']>().parameter(0).toEqualTypeOf<Readable>();
  });
});
