// Node's zlib gzip alone (the compressor tricopy runs in-process), reading a file and discarding the output.
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

const [file, level] = process.argv.slice(2);
if (file === undefined || level === undefined) throw new Error('usage: gzip-alone <file> <level>');
await pipeline(
  createReadStream(file),
  createGzip({ level: Number(level) }),
  new Writable({ write: (_chunk, _encoding, callback) => callback() }),
);
