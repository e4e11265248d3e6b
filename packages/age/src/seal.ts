import { armor, Encrypter } from 'age-encryption';
import { watchedDecrypter } from './decrypter.js';
import { AgeDecryptError, noIdentityMatched } from './errors.js';

/**
 * A short text (a few KiB of metadata) age-encrypted to `recipients` in the ASCII armor, by typage alone: it fits in
 * a JSON string, and `age -d` opens it as it is.
 */
export async function sealText(recipients: readonly string[], text: string): Promise<string> {
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  return armor.encode(await encrypter.encrypt(text));
}

export async function unsealText(identities: readonly string[], sealed: string): Promise<string> {
  const { decrypter, noneMatched } = watchedDecrypter(identities);
  try {
    return await decrypter.decrypt(armor.decode(sealed), 'text');
  } catch (error) {
    if (noneMatched()) throw noIdentityMatched();
    const message = error instanceof Error ? error.message : String(error);
    throw new AgeDecryptError('payload', `age: the sealed text could not be decrypted (${message})`, {
      cause: error,
    });
  }
}
