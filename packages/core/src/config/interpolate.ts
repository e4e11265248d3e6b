import { readSecretSource, type SecretSourceKind } from './secret-sources.js';

/** A reference that gave no value: an unset `${VAR}`, or a `${file:…}`/`${credential:…}` that could not be read. */
export interface UnsetVariable {
  /** Where it was used, as path segments. */
  readonly path: readonly (string | number)[];
  readonly variable: string;
  /** Why a file or credential gave no value (an unset variable needs no more words). */
  readonly why?: string;
}

export interface InterpolationResult {
  readonly value: unknown;
  /** Malformed references (`${ X }`, `${X:-default}`, a lone `${`), each naming its key. */
  readonly problems: string[];
  /** Variables that are not set, left in place as written. */
  readonly unset: UnsetVariable[];
  /** Paths (dotted) whose value came, in whole or part, from the environment. */
  readonly fromEnv: Map<string, string>;
  /** Every variable referenced (`${NAME}`), set or not. */
  readonly variables: Set<string>;
  /** Every systemd credential referenced (`${credential:NAME}`), readable or not. */
  readonly credentials: Set<string>;
  /** The values read from files and credentials: secrets wherever they are used. */
  readonly secrets: Set<string>;
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{(file|credential):([^}]+)\}|\$\$|\$\{[^}]*\}?/g;

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out || '(root)';
}

/**
 * Replaces `${VAR}` in every string with the environment's value, `${file:/PATH}` with that file's content and
 * `${credential:NAME}` with the systemd credential's (`$$` is a literal `$`). An unset variable or an unreadable
 * source is reported with the key where it was used; any other `${` form is a problem, never kept silently.
 */
export function interpolateEnv(input: unknown, env: NodeJS.ProcessEnv): InterpolationResult {
  const problems: string[] = [];
  const unset: UnsetVariable[] = [];
  const fromEnv = new Map<string, string>();
  const variables = new Set<string>();
  const credentials = new Set<string>();
  const secrets = new Set<string>();
  const readSource = (kind: SecretSourceKind, ref: string, match: string, path: (string | number)[]) => {
    if (kind === 'credential') credentials.add(ref);
    const read = readSecretSource(kind, ref, env);
    if (!read.ok) {
      unset.push({ path, variable: match, why: read.why });
      return match;
    }
    secrets.add(read.value);
    return read.value;
  };

  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === 'string') {
      let used = false;
      const unsetBefore = unset.length;
      const replaced = value.replace(
        VARIABLE,
        (match, name: string | undefined, kind: SecretSourceKind | undefined, ref: string | undefined) => {
          if (match === '$$') return '$';
          if (kind !== undefined && ref !== undefined) {
            used = true;
            return readSource(kind, ref, match, path);
          }
          if (name === undefined) {
            problems.push(
              `${formatPath(path)}: "${match}" is not a variable reference: write \${NAME} (letters, digits and _, no spaces, no defaults), \${file:/PATH} or \${credential:NAME}, or $\${ for a literal "\${"`,
            );
            return match;
          }
          used = true;
          variables.add(name);
          const resolved = env[name];
          if (resolved === undefined) {
            unset.push({ path, variable: name });
            return match;
          }
          return resolved;
        },
      );
      // A reference left unresolved is no secret: the message naming it stays readable.
      if (used && unset.length === unsetBefore) fromEnv.set(formatPath(path), replaced);
      return replaced;
    }
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, index]));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = Object.create(null);
      for (const [key, item] of Object.entries(value)) out[key] = walk(item, [...path, key]);
      return out;
    }
    return value;
  };

  return { value: walk(input, []), problems, unset, fromEnv, variables, credentials, secrets };
}

export function describeUnset(unset: UnsetVariable): string {
  return `${formatPath(unset.path)}: ${unset.why ?? `environment variable ${unset.variable} is not set`}`;
}
