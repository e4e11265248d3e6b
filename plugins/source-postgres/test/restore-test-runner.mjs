// Runs a base backup's restore test through the built plugin as the PostgreSQL OS user (PostgreSQL refuses root):
// base.test.ts starts it with runuser. Request on stdin (JSON); answer on stdout (JSON).
import { createReadStream } from 'node:fs';
import { text } from 'node:stream/consumers';
import { silentLogger } from '@tricopy/contract';
import plugin from '../dist/index.js';

const request = JSON.parse(await text(process.stdin));
const context = {
  name: 'app',
  configDir: request.workDir,
  workDir: request.workDir,
  logger: silentLogger,
  redact: (value) => value,
};
const source = await plugin.create(plugin.optionsSchema.parse(request.options), context);
let inspected;
try {
  const tables = await source.restoreTest(createReadStream(request.tar), {
    format: 'pg-base-tar',
    ...(request.recovery === undefined ? {} : { recovery: request.recovery }),
    inspect: async (query) => {
      inspected = await query(request.inspectSql);
    },
  });
  process.stdout.write(JSON.stringify({ tables, inspected }));
} catch (error) {
  process.stdout.write(JSON.stringify({ error: error.message, kind: error.constructor.name }));
}
