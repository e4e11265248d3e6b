import { Decrypter } from 'age-encryption';

export interface WatchedDecrypter {
  readonly decrypter: Decrypter;
  /** After a failure: true when none of the identities opened any of the file's recipient stanzas. */
  noneMatched(): boolean;
}

/**
 * A typage Decrypter for `identities`, followed by a witness identity: typage asks identities in turn until one
 * returns a file key, so the witness is asked only when none of the real ones matched. That tells "encrypted to
 * someone else" from "damaged" by what happened, not by the wording of typage's error.
 */
export function watchedDecrypter(identities: readonly string[]): WatchedDecrypter {
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  let asked = false;
  decrypter.addIdentity({
    unwrapFileKey: () => {
      asked = true;
      return null;
    },
  });
  return { decrypter, noneMatched: () => asked };
}
