/**
 * Replaces known secret values with `***` in any text that may reach a person, a log or a file: wherever a secret
 * stands as a whole value (after `=` or `:`, before `@`, quoted, alone on a line…), never where it is only part
 * of a longer word (a password `shop` leaves the job `shop-db` and the word `shopping` alone, which would otherwise
 * both hide them and give the password away).
 */
export class Redactor {
  readonly #secrets = new Set<string>();

  add(secret: string | undefined): void {
    // Very short values would redact ordinary words; they are not useful secrets anyway.
    if (secret !== undefined && secret.length >= 3) this.#secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another is replaced whole.
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      out = replaceWhole(out, secret);
    }
    return out;
  }

  get size(): number {
    return this.#secrets.size;
  }

  /** Redacts every string inside a JSON-like value (keys and values), never its JSON text. */
  redactValues<T>(value: T): T {
    return redactStrings(value, (text) => this.redact(text)) as T;
  }
}

const WORD = /[\p{L}\p{N}\p{M}_]/u;
/** Characters that join two words into one name (`shop-db`, `shop.db`), but end a sentence when nothing follows. */
const JOINER = /[.-]/;

/** `text` with every occurrence of `secret` that is not part of a longer word replaced by `***`. */
function replaceWhole(text: string, secret: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
    if (at < from || !standsAlone(text, at, secret)) continue;
    out += `${text.slice(from, at)}***`;
    from = at + secret.length;
  }
  return out + text.slice(from);
}

function standsAlone(text: string, at: number, secret: string): boolean {
  const end = at + secret.length;
  const joinedBefore =
    isWord(secret.at(0)) && (isWord(text[at - 1]) || (isJoiner(text[at - 1]) && isWord(text[at - 2])));
  const joinedAfter =
    isWord(secret.at(-1)) && (isWord(text[end]) || (isJoiner(text[end]) && isWord(text[end + 1])));
  return !joinedBefore && !joinedAfter;
}

function isWord(char: string | undefined): boolean {
  return char !== undefined && WORD.test(char);
}

function isJoiner(char: string | undefined): boolean {
  return char !== undefined && JOINER.test(char);
}

/** Applies `redact` to every string in a JSON-like value, so a secret containing `"` or `\\` is matched as written. */
export function redactStrings(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, redact));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [redact(key), redactStrings(item, redact)]),
    );
  }
  return value;
}
