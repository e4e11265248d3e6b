/** The oldest Node.js tricopy runs on (better-sqlite3 13, execa 10 and commander 15 need 22.12). */
export const MINIMUM_NODE = '22.12.0';

/** Why this Node cannot run tricopy, or undefined when it can. */
export function nodeVersionProblem(version: string = process.versions.node): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 12)) return undefined;
  return (
    `tricopy needs Node.js ${MINIMUM_NODE} or newer (Node 24 LTS preferred); this is Node ${version} ` +
    `(${process.execPath}). In a clone of the repository, run bash scripts/setup.sh and then ./tricopy, ` +
    'which uses a private Node 24 when the system one is older.'
  );
}
