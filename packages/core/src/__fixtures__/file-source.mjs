// A tiny source plugin for tests, loaded by path: it "dumps" a file. Options:
//   path      the file to stream
//   hang      true: write a few bytes, then never end the stream nor settle completion (a hung dump tool)
//   failWith  a message: completion rejects with it (after the stream ends)
//   password  a secret (declared in secretOptions) that describe() and failWith may contain
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const optionsSchema = {
  '~standard': {
    version: 1,
    vendor: 'tricopy-test',
    validate(value) {
      if (typeof value !== 'object' || value === null || typeof value.path !== 'string') {
        return { issues: [{ message: 'path is required', path: ['path'] }] };
      }
      return { value };
    },
  },
};

export default {
  kind: 'source',
  contractVersion: 1,
  type: 'test-file',
  optionsSchema,
  secretOptions: ['password'],
  create(options, context) {
    const path = resolve(context.configDir, options.path);
    return {
      restoreTarget: 'file',
      describe: () => `file ${path}${options.password ? ` (password ${options.password})` : ''}`,
      async check() {
        return { engine: 'file', engineVersion: '1' };
      },
      async dump() {
        if (options.hang) {
          const stream = new PassThrough();
          stream.write('the first bytes of a dump that never ends\n');
          return { stream, format: 'text', extension: 'txt', completion: new Promise(() => {}) };
        }
        const stream = createReadStream(path);
        const completion = new Promise((resolveDump, rejectDump) => {
          stream.on('error', rejectDump);
          stream.on('end', () => {
            if (options.failWith) rejectDump(new Error(options.failWith));
            else resolveDump({ engine: 'file', engineVersion: '1' });
          });
        });
        return { stream, format: 'text', extension: 'txt', completion };
      },
      async restore(input, target) {
        if (target.notOwn && resolve(target.path) === path)
          throw new Error(`refusing the job's own file ${path}`);
        await pipeline(input, createWriteStream(target.path));
      },
      // A file has no SQL: every query answers its line count, so that assertions can be run on it.
      async query() {
        const text = await readFile(path, 'utf8');
        return String(text.split('\n').length - 1);
      },
      async restoreTest(input) {
        for await (const _chunk of input);
        return [];
      },
    };
  },
};
