import { Encrypter, type Recipient } from 'age-encryption';
import { watchedDecrypter } from './decrypter.js';
import { AgeDecryptError, noIdentityMatched } from './errors.js';
import { NONCE_SIZE, TAG_SIZE } from './stream-cipher.js';

export interface NewHeader {
  /** The textual header, up to and including the MAC line's newline. */
  readonly header: Buffer;
  readonly fileKey: Uint8Array;
}

/**
 * A fresh file key wrapped for `recipients`, with its header and MAC, made by typage (the `age-encryption` package):
 * it encrypts an empty payload, and a recipient that adds no stanza hands over the file key it was given. An empty
 * payload is the header, the 16-byte nonce and one empty final chunk (a 16-byte tag), which are cut off.
 */
export async function newHeader(recipients: readonly string[]): Promise<NewHeader> {
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  let fileKey: Uint8Array | undefined;
  const keyTaker: Recipient = {
    wrapFileKey(key) {
      fileKey = Uint8Array.from(key);
      return [];
    },
  };
  encrypter.addRecipient(keyTaker);
  const file = await encrypter.encrypt(new Uint8Array(0));
  if (fileKey === undefined) throw new Error('age: no file key was made');
  const header = Buffer.from(file.subarray(0, file.length - NONCE_SIZE - TAG_SIZE));
  if (!header.toString('latin1').endsWith('\n') || headerEnd(header) !== header.length) {
    throw new Error('age: unexpected header layout');
  }
  return { header, fileKey };
}

const MAC_LINE = Buffer.from('\n--- ');

/** Where the header ends (just past the MAC line's newline) in the file's first bytes, or undefined if not yet. */
export function headerEnd(start: Buffer): number | undefined {
  const mac = start.indexOf(MAC_LINE);
  if (mac === -1) return undefined;
  const newline = start.indexOf(0x0a, mac + MAC_LINE.length);
  return newline === -1 ? undefined : newline + 1;
}

/**
 * The file key, unwrapped by one of `identities` and checked against the header's MAC (by typage). Throws an
 * AgeDecryptError: `no-match` when no identity fits, `header` when the header is damaged.
 */
export async function unwrapHeader(identities: readonly string[], header: Buffer): Promise<Uint8Array> {
  const { decrypter, noneMatched } = watchedDecrypter(identities);
  try {
    return await decrypter.decryptHeader(header);
  } catch (error) {
    if (noneMatched()) throw noIdentityMatched();
    const message = error instanceof Error ? error.message : String(error);
    throw new AgeDecryptError('header', `age: the header is invalid (${message})`, { cause: error });
  }
}
