import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createDecryptStream } from './decrypt.js';
import { AgeDecryptError, type AgeFailure } from './errors.js';

const FOLDER = join(import.meta.dirname, '..', 'testdata', 'cctv');

interface Vector {
  readonly name: string;
  readonly expect: string;
  readonly payload?: string;
  readonly identities: string[];
  readonly file: Buffer;
}

function readVector(name: string): Vector {
  const raw = readFileSync(join(FOLDER, name));
  const split = raw.indexOf('\n\n');
  const fields = raw.subarray(0, split).toString('utf8').split('\n');
  const values = (key: string) =>
    fields.filter((f) => f.startsWith(`${key}: `)).map((f) => f.slice(key.length + 2));
  const body = raw.subarray(split + 2);
  return {
    name,
    expect: values('expect')[0] ?? '',
    ...(values('payload')[0] === undefined ? {} : { payload: values('payload')[0] }),
    identities: values('identity'),
    file: values('compressed')[0] === 'zlib' ? inflateSync(body) : body,
  };
}

/** Decrypts through the stream, keeping every byte it released before any failure. */
async function decrypt(vector: Vector): Promise<{ released: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      callback();
    },
  });
  try {
    await pipeline(Readable.from([vector.file]), createDecryptStream(vector.identities), sink);
    return { released: Buffer.concat(parts) };
  } catch (error) {
    return { released: Buffer.concat(parts), error };
  }
}

const FAILURES: Record<string, AgeFailure> = {
  'no match': 'no-match',
  'HMAC failure': 'header',
  'header failure': 'header',
  'payload failure': 'payload',
};

const vectors = readdirSync(FOLDER).sort().map(readVector);

describe('the CCTV age test vectors (X25519, header, HMAC, stanza, STREAM)', () => {
  it('are all there', () => {
    expect(vectors.length).toBeGreaterThan(60);
    expect(vectors.filter((v) => v.expect === 'success').length).toBeGreaterThan(5);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s', async (_name, vector) => {
    const { released, error } = await decrypt(vector);
    if (vector.expect === 'success') {
      expect(error).toBeUndefined();
    } else {
      expect(error).toBeInstanceOf(AgeDecryptError);
      expect((error as AgeDecryptError).failure).toBe(FAILURES[vector.expect]);
    }
    // Whatever was released, even before a failure, is exactly the payload's authenticated prefix.
    if (vector.payload !== undefined) {
      expect(createHash('sha256').update(released).digest('hex')).toBe(vector.payload);
    }
  });
});
