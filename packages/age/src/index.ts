export { createDecryptStream } from './decrypt.js';
export { createEncryption, createEncryptStream, type Encryption } from './encrypt.js';
export { AgeDecryptError, type AgeFailure } from './errors.js';
export { generateKeyPair, keyLines, parseIdentities, recipientProblem, recipientsOf } from './keys.js';
export { sealText, unsealText } from './seal.js';
