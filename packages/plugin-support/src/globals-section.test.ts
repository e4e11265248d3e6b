import { Readable } from 'node:stream';
import type { Dump } from '@tricopy/contract';
import { describe, expect, it } from 'vitest';
import { baseFormat, splitGlobalsSection, withGlobalsSection } from './globals-section.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function dumpOf(bytes: Buffer): Dump {
  return {
    stream: Readable.from([bytes]),
    format: 'pg-custom',
    extension: 'pgdump',
    completion: Promise.resolve({ engine: 'postgresql', engineVersion: '15' }),
  };
}

/** The same bytes, re-chunked `size` bytes at a time (boundaries inside the header and the section). */
function rechunked(bytes: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

describe('globals section', () => {
  const globals = Buffer.from('CREATE ROLE app_owner;\nALTER ROLE app_owner WITH LOGIN;\n');
  const body = Buffer.from('PGDMP and the rest of a dump, unchanged');

  it.each([1, 3, 7, 1000])('round-trips in chunks of %i bytes', async (size) => {
    const framed = withGlobalsSection(dumpOf(body), globals);
    expect(framed.format).toBe('pg-custom+globals');
    expect(baseFormat(framed.format)).toBe('pg-custom');
    const bytes = await readAll(framed.stream);
    const split = await splitGlobalsSection(rechunked(bytes, size), 'source "db"');
    expect(split.globals.toString()).toBe(globals.toString());
    expect(await readAll(split.rest)).toEqual(body);
  });

  it('an empty section (no role to keep) is still a section', async () => {
    const bytes = await readAll(withGlobalsSection(dumpOf(body), Buffer.alloc(0)).stream);
    const split = await splitGlobalsSection(Readable.from([bytes]), 'x');
    expect(split.globals.length).toBe(0);
    expect(await readAll(split.rest)).toEqual(body);
  });

  it('refuses a missing header, a bad length and a cut section with a clear error', async () => {
    await expect(splitGlobalsSection(Readable.from([body]), 'source "db"')).rejects.toThrow(
      /source "db": the backup's globals section is damaged/,
    );
    const bad = Buffer.from('TRICOPY-GLOBALS 1 -5\nxx');
    await expect(splitGlobalsSection(Readable.from([bad]), 'x')).rejects.toThrow(/bad section header/);
    const cut = Buffer.from('TRICOPY-GLOBALS 1 100\nshort');
    await expect(splitGlobalsSection(Readable.from([cut]), 'x')).rejects.toThrow(/ends after 5 of 100 bytes/);
  });
});
