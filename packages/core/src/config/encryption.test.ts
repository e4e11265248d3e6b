import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair } from '@tricopy/age';
import { describe, expect, it } from 'vitest';
import { TEST_PLUGINS } from '../__fixtures__/test-plugins.js';
import { tempFolders } from '../testing/temp-folders.js';
import { ConfigError } from '../util/errors.js';
import { parseConfig } from './load.js';

const tempFolder = tempFolders();

const one = await generateKeyPair();
const two = await generateKeyPair();

/** Destination `near` is on-site, `far` offsite; job a writes to both, job b only to near. */
function config(extra: { top?: string; a?: string; policy?: string } = {}): string {
  return `destinations:
  near: { type: local, path: /tmp/tricopy-enc-near }
  far: { type: local, path: /tmp/tricopy-enc-far, offsite: true }
jobs:
  a:
    source: { type: sqlite, path: /tmp/a.db }
    destinations: [near, far]
${extra.a ?? ''}  b:
    source: { type: sqlite, path: /tmp/b.db }
    destinations: [near]
${extra.top ?? ''}${extra.policy === undefined ? '' : `policy: { encryption: ${extra.policy} }\n`}`;
}

async function load(text: string, dir = '/etc/tricopy') {
  return parseConfig(text, join(dir, 'tricopy.yaml'), {}, TEST_PLUGINS);
}

async function problemsOf(text: string, dir?: string): Promise<string> {
  try {
    await load(text, dir);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('config: encryption', () => {
  it('a top-level encryption is every job default; a job block replaces it', async () => {
    const loaded = await load(
      config({
        top: `encryption: { recipients: [${one.recipient}] }\n`,
        a: `    encryption: { recipients: [${two.recipient}, ${one.recipient}] }\n`,
      }),
    );
    expect(loaded.jobs.get('a')?.encryption?.recipients).toEqual([two.recipient, one.recipient]);
    expect(loaded.jobs.get('b')?.encryption?.recipients).toEqual([one.recipient]);
  });

  it('reads a recipients file as age-keygen -y prints it, relative to the config', async () => {
    const dir = await tempFolder('tricopy-enc-');
    await writeFile(join(dir, 'recipients.txt'), `# ops\n${one.recipient}\n\n${two.recipient}\n`);
    const loaded = await load(config({ top: 'encryption: { recipientsFile: recipients.txt }\n' }), dir);
    expect(loaded.jobs.get('b')?.encryption?.recipients).toEqual([one.recipient, two.recipient]);
  });

  it('names the key of a malformed recipient', async () => {
    const problems = await problemsOf(
      config({ a: `    encryption: { recipients: [${one.recipient}, age1notakey] }\n` }),
    );
    expect(problems).toContain('jobs.a.encryption.recipients[1]: "age1notakey" is not a valid age recipient');
    expect(await problemsOf(config({ top: 'encryption: { recipients: [age2notakey] }\n' }))).toContain(
      'encryption.recipients[0]: "age2notakey" is not an age recipient',
    );
    expect(await problemsOf(config({ top: 'encryption: {}\n' }))).toContain(
      'encryption: give recipients: [age1…] or recipientsFile: PATH',
    );
  });

  it('names the line of a malformed recipient in a recipients file, and a missing file', async () => {
    const dir = await tempFolder('tricopy-enc-');
    await writeFile(join(dir, 'recipients.txt'), `${one.recipient}\nAGE-SECRET-KEY-1OOPS\n`);
    const problems = await problemsOf(
      config({ top: 'encryption: { recipientsFile: recipients.txt }\n' }),
      dir,
    );
    expect(problems).toContain('encryption.recipientsFile (');
    expect(problems).toContain('recipient 2): "AGE-SECRET-KEY-1OOPS" is not an age recipient');
    expect(await problemsOf(config({ top: 'encryption: { recipientsFile: nope.txt }\n' }), dir)).toContain(
      'encryption.recipientsFile: cannot read',
    );
  });

  it('policy.encryption offsite refuses a job with a plaintext copy offsite, all refuses any', async () => {
    const offsite = await problemsOf(config({ policy: 'offsite' }));
    expect(offsite).toContain('jobs.a.encryption: policy.encryption is offsite');
    expect(offsite).toContain('plaintext copies on far (offsite)');
    expect(offsite).not.toContain('jobs.b.');
    const all = await problemsOf(config({ policy: 'all' }));
    expect(all).toContain('jobs.a.encryption');
    expect(all).toContain('jobs.b.encryption: policy.encryption is all');
    await expect(
      load(config({ policy: 'all', top: `encryption: { recipients: [${one.recipient}] }\n` })),
    ).resolves.toBeDefined();
    expect((await load(config())).policy.encryption).toBe('warn');
  });
});
