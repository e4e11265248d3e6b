import { execFileSync } from 'node:child_process';
import { generateHybridIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, describe, expect, it } from 'vitest';
import { createDecryptStream } from './decrypt.js';
import type { AgeDecryptError } from './errors.js';
import { generateKeyPair, parseIdentities, recipientProblem, recipientsOf } from './keys.js';
import { sealText, unsealText } from './seal.js';
import { ageKeygen, removeKeyFolders, through } from './testing.js';

afterAll(removeKeyFolders);

const key = ageKeygen();

describe('age keys', () => {
  it('accepts an X25519 recipient and names what is wrong with others', () => {
    expect(recipientProblem(key.recipient)).toBeUndefined();
    expect(recipientProblem('ssh-ed25519 AAAA')).toMatch(
      /is an SSH key: tricopy encrypts to X25519 recipients only/,
    );
    expect(recipientProblem('AGE-SECRET-KEY-1XYZ')).toMatch(/not an age recipient/);
    const last = key.recipient.endsWith('q') ? 'p' : 'q';
    expect(recipientProblem(`${key.recipient.slice(0, -1)}${last}`)).toMatch(/not a valid age recipient/);
    expect(recipientProblem(key.recipient.slice(0, 30))).toMatch(/not a valid age recipient/);
  });

  it('refuses post-quantum, tag and plugin recipients by their prefix, and only by it', async () => {
    const hybrid = await identityToRecipient(await generateHybridIdentity());
    expect(hybrid.startsWith('age1pq1')).toBe(true);
    expect(recipientProblem(hybrid)).toMatch(
      /is a post-quantum, tag or plugin recipient; use an X25519 recipient/,
    );
    expect(recipientProblem('age1yubikey1qwerty')).toMatch(/post-quantum, tag or plugin recipient/);
    // About one X25519 key in 1024 begins age1pq…: it is as good as any other (this one was refused once).
    let lookalike: string | undefined;
    while (lookalike === undefined) {
      const recipient = (await generateKeyPair()).recipient;
      if (recipient.startsWith('age1pq')) lookalike = recipient;
    }
    expect(recipientProblem(lookalike)).toBeUndefined();
  });

  it('reads an identity file as age-keygen writes it, and never repeats its contents in an error', async () => {
    const text = `# created: now\n# public key: ${key.recipient}\n${key.identity}\n`;
    expect(parseIdentities(text, 'key.txt')).toEqual([key.identity]);
    expect(await recipientsOf([key.identity])).toEqual([key.recipient]);
    const broken = `${key.identity.slice(0, -2)}xx`;
    expect(() => parseIdentities(broken, 'key.txt')).toThrow('key.txt: key 1 is not an age X25519 identity');
    try {
      parseIdentities(broken, 'key.txt');
    } catch (error) {
      expect((error as Error).message).not.toContain(broken.slice(20));
    }
    expect(() => parseIdentities('# nothing\n', 'key.txt')).toThrow(/holds no age identity/);
  });

  it('makes key pairs that the age CLI encrypts to', async () => {
    const pair = await generateKeyPair();
    expect(recipientProblem(pair.recipient)).toBeUndefined();
    expect(parseIdentities(pair.identity, 'memory')).toEqual([pair.identity]);
    const file = execFileSync('age', ['-e', '-r', pair.recipient], { input: 'hello' });
    expect((await through(createDecryptStream([pair.identity]), file)).toString()).toBe('hello');
  });

  it('seals a text that the age CLI opens, and opens it again', async () => {
    const sealed = await sealText([key.recipient], '{"tables":["secret_table"]}');
    expect(sealed).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
    expect(sealed).not.toContain('secret_table');
    const cli = execFileSync('age', ['-d', '-i', key.identityFile], { input: sealed, encoding: 'utf8' });
    expect(cli).toBe('{"tables":["secret_table"]}');
    expect(await unsealText([key.identity], sealed)).toBe('{"tables":["secret_table"]}');
    const other = ageKeygen();
    const failure = await unsealText([other.identity], sealed).catch((e: unknown) => e);
    expect((failure as AgeDecryptError).failure).toBe('no-match');
  });
});
