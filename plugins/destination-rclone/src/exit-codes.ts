/** rclone's documented exit codes (https://rclone.org/docs/#exit-code). */
export const EXIT = {
  usage: 1,
  uncategorised: 2,
  directoryNotFound: 3,
  fileNotFound: 4,
  temporary: 5,
  lessSerious: 6,
  fatal: 7,
  transferLimit: 8,
  noFilesTransferred: 9,
} as const;

const MEANINGS: Readonly<Record<number, string>> = {
  [EXIT.usage]: 'syntax, usage or uncategorised error',
  [EXIT.uncategorised]: 'error not otherwise categorised',
  [EXIT.directoryNotFound]: 'directory not found',
  [EXIT.fileNotFound]: 'file not found',
  [EXIT.temporary]: 'temporary error, a retry may succeed',
  [EXIT.lessSerious]: 'less serious error',
  [EXIT.fatal]: 'fatal error, retries will not help (account suspended, no permission, ...)',
  [EXIT.transferLimit]: 'transfer limit (--max-transfer) reached',
  [EXIT.noFilesTransferred]: 'no files transferred',
};

export function exitMeaning(code: number): string {
  return MEANINGS[code] ?? 'unknown exit code';
}

/** The object (or the folder that would hold it) is not there. */
export function isNotFound(code: number | undefined): boolean {
  return code === EXIT.directoryNotFound || code === EXIT.fileNotFound;
}
