import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DestinationError } from '@tricopy/contract';
import { makeTempDir } from '@tricopy/test-servers';
import { readAll, sha256Hex, testContext } from '@tricopy/testkit';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import plugin, { rcloneOptionsSchema } from './index.js';

let folder: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  folder = await makeTempDir('rclone-plugin');
});
afterEach(async () => {
  await folder.remove();
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** An rclone that appends its arguments and environment to files, then runs the real rclone. */
async function spyRclone(): Promise<{
  program: string;
  args: () => Promise<string>;
  env: () => Promise<string>;
}> {
  const program = join(folder.path, 'rclone-spy');
  const argsLog = join(folder.path, 'args.log');
  const envLog = join(folder.path, 'env.log');
  await writeFile(
    program,
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argsLog}'\nenv >> '${envLog}'\nexec rclone "$@"\n`,
  );
  await chmod(program, 0o755);
  return { program, args: () => readFile(argsLog, 'utf8'), env: () => readFile(envLog, 'utf8') };
}

describe('rclone destination: secrets', () => {
  it('gives an inline password to rclone obscured, in its environment only; tricopy’s own environment stays out', async () => {
    const password = 'crypt-passphrase-4f9a1c';
    const spy = await spyRclone();
    process.env.TRICOPY_TEST_UNRELATED_SECRET = 'unrelated-secret-77b3';
    try {
      const options = rcloneOptionsSchema.parse({
        backend: { type: 'crypt', remote: join(folder.path, 'encrypted'), password },
        path: 'copies',
        rclone: spy.program,
      });
      const destination = await plugin.create(options, testContext({ name: 'vault' }));
      const bytes = Buffer.from('a secret dump');
      await destination.put('app/1/db.sql', Readable.from([bytes]));
      // crypt only works when rclone could reveal the obscured password: the round trip proves it.
      expect((await readAll(await destination.get('app/1/db.sql'))).equals(bytes)).toBe(true);
      expect(await readdir(join(folder.path, 'encrypted'))).not.toContain('copies');

      const args = await spy.args();
      const env = await spy.env();
      expect(args).not.toContain(password);
      expect(args).toContain('TRICOPY:copies/app/1/db.sql');
      const obscured = /^RCLONE_CONFIG_TRICOPY_PASSWORD=(.+)$/m.exec(env)?.[1] ?? '';
      expect(obscured).not.toBe('');
      expect(obscured).not.toBe(password);
      expect(args).not.toContain(obscured);
      // `--`: an obscured value may begin with '-' (1 in 64), which rclone would take for a flag.
      expect((await execa('rclone', ['reveal', '--', obscured])).stdout).toBe(password);
      expect(env).not.toContain(password);
      expect(env).not.toContain('unrelated-secret-77b3');
    } finally {
      delete process.env.TRICOPY_TEST_UNRELATED_SECRET;
    }
  });
});

describe('rclone destination: a remote of an rclone.conf', () => {
  it('stores under NAME:path of the configFile (relative to the config) and says so in the location', async () => {
    await writeFile(join(folder.path, 'rclone.conf'), '[disk]\ntype = local\n');
    const options = rcloneOptionsSchema.parse({
      remote: `disk:${folder.path}/copies/`,
      configFile: 'rclone.conf',
    });
    const destination = await plugin.create(options, testContext({ name: 'disk', configDir: folder.path }));
    expect(destination.capabilities).toEqual({ storedSha256: true, readBackSha256: true });
    const result = await destination.put('app/1/db.sql', Readable.from([Buffer.from('dump')]));
    expect(result.location).toBe(`disk:${folder.path}/copies/app/1/db.sql`);
    expect(await readFile(join(folder.path, 'copies/app/1/db.sql'), 'utf8')).toBe('dump');
    expect(result.sha256).toBe(sha256Hex(Buffer.from('dump')));
    expect((await destination.stat('app/1/db.sql'))?.sha256).toBe(sha256Hex(Buffer.from('dump')));
  });

  it('names an unknown remote in one line, with rclone’s exit code and its reason', async () => {
    await writeFile(join(folder.path, 'rclone.conf'), '[disk]\ntype = local\n');
    const options = rcloneOptionsSchema.parse({ remote: 'nosuch:backups', configFile: 'rclone.conf' });
    const destination = await plugin.create(options, testContext({ name: 'far', configDir: folder.path }));
    const error = await failure(destination.stat('app/1/db.sql'));
    expect(DestinationError.isInstance(error)).toBe(true);
    expect(error.message).toBe(
      'destination "far": stat "app/1/db.sql": rclone lsjson failed (exit 1: syntax, usage or uncategorised error): ' +
        'Failed to create file system for "nosuch:backups/app/1/db.sql": didn\'t find section in config file',
    );
    expect((error as DestinationError).retryable).toBe(false);
  });

  it('redacts the secrets the engine knows from what rclone printed', async () => {
    const options = rcloneOptionsSchema.parse({ remote: 'nosuch:vault-4471', configFile: 'rclone.conf' });
    const context = testContext({ name: 'far', configDir: folder.path, secrets: ['vault-4471'] });
    const error = await failure((await plugin.create(options, context)).stat('k'));
    expect(error.message).toContain('"nosuch:***/k"');
    expect(error.message).not.toContain('vault-4471');
  });

  it('says how to install rclone when the program is missing', async () => {
    const options = rcloneOptionsSchema.parse({ remote: 'disk:x', rclone: '/nonexistent/rclone' });
    const destination = await plugin.create(options, testContext({ name: 'far' }));
    const error = await failure(destination.put('k', Readable.from(['x'])));
    expect(error.message).toBe(
      'destination "far": put "k": cannot run /nonexistent/rclone: not installed (apt-get install rclone, or set ' +
        'the rclone option to its path)',
    );
  });
});

/** An rclone that runs `command` through a filter (a shell pipeline stage) on its stdin or stdout. */
async function filteringRclone(command: string, filter: string): Promise<string> {
  const program = join(folder.path, `rclone-${command}-filter`);
  const body = command === 'rcat' ? `${filter} | rclone "$@"` : `rclone "$@" | ${filter}`;
  await writeFile(program, `#!/bin/sh\nif [ "$1" = ${command} ]; then ${body}; else exec rclone "$@"; fi\n`);
  await chmod(program, 0o755);
  return program;
}

describe('rclone destination: checks of what was stored and read', () => {
  it('an upload that stored other bytes than were sent fails, stores nothing and leaves no temporary object', async () => {
    const rclone = await filteringRclone('rcat', 'tr a b');
    const options = rcloneOptionsSchema.parse({
      backend: { type: 'local' },
      path: join(folder.path, 'copies'),
      rclone,
    });
    const destination = await plugin.create(options, testContext({ name: 'disk' }));
    const error = await failure(destination.put('app/1/db.sql', Readable.from([Buffer.from('aaaa')])));
    expect(error.message).toBe(
      `destination "disk": put "app/1/db.sql": the uploaded object has sha256 ${sha256Hex(Buffer.from('bbbb'))}, ` +
        `expected ${sha256Hex(Buffer.from('aaaa'))}: nothing was stored`,
    );
    expect((error as DestinationError).retryable).toBe(true);
    expect(await destination.stat('app/1/db.sql')).toBeUndefined();
    expect(await readdir(join(folder.path, 'copies/app/1'))).toEqual([]);
  });

  it('a read that ends early fails instead of returning a short copy', async () => {
    const rclone = await filteringRclone('cat', 'head -c 3');
    const options = rcloneOptionsSchema.parse({
      backend: { type: 'local' },
      path: join(folder.path, 'copies'),
      rclone,
    });
    const destination = await plugin.create(options, testContext({ name: 'disk' }));
    await destination.put('k', Readable.from([Buffer.from('0123456789')]));
    const error = await failure(readAll(await destination.get('k')));
    expect(error.message).toBe(
      'destination "disk": get "k": read 3 bytes, the object had 10: it changed while it was read',
    );
  });
});

describe('rclone destination options', () => {
  it('need exactly one of remote and backend', () => {
    expect(rcloneOptionsSchema.safeParse({}).success).toBe(false);
    expect(rcloneOptionsSchema.safeParse({ remote: 'a:', backend: { type: 'local' } }).success).toBe(false);
    expect(rcloneOptionsSchema.safeParse({ remote: 'no-colon' }).success).toBe(false);
    expect(rcloneOptionsSchema.safeParse({ remote: 'a:x', path: 'y' }).success).toBe(false);
    expect(rcloneOptionsSchema.safeParse({ backend: { type: 'local' }, configFile: 'x' }).success).toBe(
      false,
    );
    expect(rcloneOptionsSchema.safeParse({ backend: { type: 'local' }, path: '/x' }).success).toBe(true);
  });
});
