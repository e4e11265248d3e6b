export interface InterpolationResult {
  readonly value: unknown;
  readonly problems: string[];
  /** Paths (dotted) whose value came, in whole or part, from the environment. */
  readonly fromEnv: Map<string, string>;
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\$/g;

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out || '(root)';
}

/**
 * Replaces `${VAR}` in every string with the environment's value (`$$` is a literal `$`).
 * An unset variable is a problem naming the variable and the key where it was used.
 */
export function interpolateEnv(input: unknown, env: NodeJS.ProcessEnv): InterpolationResult {
  const problems: string[] = [];
  const fromEnv = new Map<string, string>();

  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === 'string') {
      let used = false;
      const replaced = value.replace(VARIABLE, (match, name: string | undefined) => {
        if (name === undefined) return '$';
        used = true;
        const resolved = env[name];
        if (resolved === undefined) {
          problems.push(`${formatPath(path)}: environment variable ${name} is not set`);
          return match;
        }
        return resolved;
      });
      if (used) fromEnv.set(formatPath(path), replaced);
      return replaced;
    }
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, index]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key])]),
      );
    }
    return value;
  };

  return { value: walk(input, []), problems, fromEnv };
}
