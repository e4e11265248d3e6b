/** Edit distance counting an insertion, deletion, substitution or swap of neighbours as one (short names only). */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] as number;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The built-in name `type` is most likely a typo of (`postgress` → `postgres`, `SFTP` → `sftp`), or undefined.
 * A typo must never be answered with "npm install <typo>": that name could be anyone's package.
 */
export function suggestBuiltin(type: string, builtins: readonly string[]): string | undefined {
  const typed = type.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of builtins) {
    const d = distance(typed, name);
    if (d <= Math.max(1, Math.floor(name.length / 3)) && (best === undefined || d < best.distance)) {
      best = { name, distance: d };
    }
  }
  return best?.name;
}
