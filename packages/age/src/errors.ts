/** Why an age file could not be decrypted: no identity fits it, or its bytes are damaged (header or payload). */
export type AgeFailure = 'no-match' | 'header' | 'payload';

export class AgeDecryptError extends Error {
  readonly failure: AgeFailure;

  constructor(failure: AgeFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AgeDecryptError';
    this.failure = failure;
  }
}

/** No identity given opens any of the file's recipient stanzas. */
export function noIdentityMatched(): AgeDecryptError {
  return new AgeDecryptError('no-match', "age: no identity given matches any of the file's recipients");
}
