/** Replaces known secret values with `***` in any text that may reach a person, a log or a file. */
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
      out = out.split(secret).join('***');
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
