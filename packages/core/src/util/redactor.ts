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
}
