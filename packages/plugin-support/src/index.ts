export { readPasswordOption, redactorWith } from './password.js';
export { collectTail, firstErrorLine } from './stderr-tail.js';
