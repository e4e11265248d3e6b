import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TricopyError } from '@tricopy/contract';
import {
  bufferBody,
  captureError,
  destinationSuite,
  expectCode,
  failingBody,
  testContext,
} from '@tricopy/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebdavServer, type WebdavTestServer } from '../test-support/start-webdav-server.mjs';
import plugin, { TEMP_PREFIX, type WebdavOptions } from './index.js';

const USER = 'backup';
const PASSWORD = `pw-${randomUUID()}`;
let server: WebdavTestServer;

beforeAll(async () => {
  server = await startWebdavServer({ username: USER, password: PASSWORD });
});
afterAll(() => server?.stop());

async function options(input: Record<string, unknown>): Promise<WebdavOptions> {
  const result = await plugin.optionsSchema['~standard'].validate(input);
  if (result.issues) throw new Error(result.issues.map((issue) => issue.message).join('; '));
  return result.value;
}

/** A fresh destination in its own folder; cleanup removes the folder with a DELETE of its own. */
function suiteFactory(verifyUploads: boolean) {
  return async () => {
    const folder = `run-${randomUUID()}`;
    const url = `${server.url}${folder}/`;
    const destination = await plugin.create(
      await options({ url, username: USER, password: PASSWORD, verifyUploads }),
      testContext({ name: 'nas', secrets: [PASSWORD] }),
    );
    return {
      destination,
      cleanup: async () => {
        const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
        await fetch(url, { method: 'DELETE', headers: { authorization: `Basic ${auth}` } });
      },
    };
  };
}

destinationSuite('webdav (verifyUploads: true)', { create: suiteFactory(true) });
destinationSuite('webdav (verifyUploads: false)', {
  create: suiteFactory(false),
  largeBodyBytes: 2 * 1024 * 1024,
});

describe('webdav destination, failure paths', () => {
  it('names the destination and what to fix when the password is wrong, without leaking it', async () => {
    const wrong = `wrong-${randomUUID()}`;
    const destination = await plugin.create(
      await options({ url: server.url, username: USER, password: wrong }),
      testContext({ name: 'nas', secrets: [wrong] }),
    );
    const error = await expectCode(() => destination.put('a/b', bufferBody(Buffer.from('x'))), 'DESTINATION');
    expect(error.message).toMatch(
      /^destination "nas": put "a\/b".*authentication failed.*check username and password/,
    );
    expect(error.message).not.toContain(wrong);
    await expectCode(() => destination.stat('a/b'), 'DESTINATION');
  });

  it('asks for credentials when the server requires a login', async () => {
    const destination = await plugin.create(await options({ url: server.url }), testContext({ name: 'nas' }));
    const error = await expectCode(() => destination.stat('x'), 'DESTINATION');
    expect(error.message).toContain('set username and password');
  });

  it('reports a refused connection as retryable, naming the server', async () => {
    const closed = await startWebdavServer({ username: USER, password: PASSWORD });
    await closed.stop();
    const destination = await plugin.create(
      await options({ url: closed.url, username: USER, password: PASSWORD, retries: 0 }),
      testContext({ name: 'nas' }),
    );
    const error = await expectCode(() => destination.stat('x'), 'DESTINATION');
    expect(error.message).toContain(`connection refused by http://127.0.0.1:${closed.port}`);
    expect((error as unknown as { retryable: boolean }).retryable).toBe(true);
  });

  it('leaves no temporary file on the server after a failed upload', async () => {
    const folder = `fail-${randomUUID()}`;
    const destination = await plugin.create(
      await options({ url: `${server.url}${folder}`, username: USER, password: PASSWORD }),
      testContext({ name: 'nas' }),
    );
    const error = await captureError(() => destination.put('job/x.gz', failingBody(300 * 1024)));
    expect(TricopyError.hasCode(error, 'DESTINATION')).toBe(true);
    expect((error as Error).message).toContain('reading the data to upload failed');
    const left = await readdir(join(server.root, folder, 'job'));
    expect(left.filter((name) => name.startsWith(TEMP_PREFIX))).toEqual([]);
  });

  it('never deletes a folder through delete()', async () => {
    const folder = `keep-${randomUUID()}`;
    const destination = await plugin.create(
      await options({ url: `${server.url}${folder}`, username: USER, password: PASSWORD }),
      testContext({ name: 'nas' }),
    );
    await destination.put('job/one', bufferBody(Buffer.from('1')));
    await destination.delete('job');
    expect((await destination.stat('job/one'))?.size).toBe(1);
  });

  it('refuses plain http to a remote host, credentials in the URL, and a password without a user', async () => {
    const validate = (input: Record<string, unknown>) => plugin.optionsSchema['~standard'].validate(input);
    const messages = async (input: Record<string, unknown>) =>
      ((await validate(input)).issues ?? []).map((issue) => issue.message).join('; ');
    expect(await messages({ url: 'http://nas.example/dav/' })).toContain('use https://');
    expect(await messages({ url: 'http://nas.example/dav/', allowInsecureHttp: true })).toBe('');
    expect(await messages({ url: 'https://u:p@nas.example/dav/' })).toContain('not in the URL');
    expect(await messages({ url: 'https://nas.example/', password: 'x' })).toContain('username is not');
    expect(await messages({ url: 'https://nas.example/', pasword: 'x' })).toMatch(/pasword/);
    expect(await messages({ url: 'ftp://nas.example/' })).toContain('http:// or https://');
  });
});

describe('webdav destination, the folder in url', () => {
  it('is created when missing, but its parent must exist, with a message saying so', async () => {
    const missingParent = `${server.url}no-such-${randomUUID()}/backups/`;
    const destination = await plugin.create(
      await options({ url: missingParent, username: USER, password: PASSWORD }),
      testContext({ name: 'nas' }),
    );
    const error = await expectCode(() => destination.put('a', bufferBody(Buffer.from('x'))), 'DESTINATION');
    expect(error.message).toMatch(
      /^destination "nas": put "a": the folder of url \(\/no-such-.*\/backups\/\) cannot be created because its parent does not exist on the server/,
    );

    const fresh = `fresh-${randomUUID()}`;
    const created = await plugin.create(
      await options({ url: `${server.url}${fresh}`, username: USER, password: PASSWORD }),
      testContext({ name: 'nas' }),
    );
    await created.put('a', bufferBody(Buffer.from('x')));
    expect(await readdir(join(server.root, fresh))).toEqual(['a']);
  });
});
