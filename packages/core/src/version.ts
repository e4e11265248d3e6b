import { readFileSync } from 'node:fs';

/** tricopy's version, from this package's package.json (dist/version.js → ../package.json). */
export const TRICOPY_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
