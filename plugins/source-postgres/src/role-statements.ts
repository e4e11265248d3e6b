/** One statement of `pg_dumpall --roles-only`, with the roles it is about. */
export interface RoleStatement {
  readonly sql: string;
  /** CREATE ROLE, ALTER ROLE (attributes, settings), COMMENT ON ROLE: the role; GRANT: the granted role. */
  readonly role: string;
  /** GRANT role TO member: the member. */
  readonly member?: string;
  /** GRANT … GRANTED BY grantor: the grantor. */
  readonly grantor?: string;
  readonly kind: 'create' | 'alter' | 'comment' | 'grant';
}

const PREFIXES: readonly { text: string; kind: RoleStatement['kind'] }[] = [
  { text: 'CREATE ROLE ', kind: 'create' },
  { text: 'ALTER ROLE ', kind: 'alter' },
  { text: 'COMMENT ON ROLE ', kind: 'comment' },
  { text: 'GRANT ', kind: 'grant' },
];

/**
 * The role statements of pg_dumpall's output, one per line as it writes them; SET lines, comments and its
 * \restrict guards are left out (the restore runs the statements itself, role by role).
 */
export function parseRoleStatements(text: string): RoleStatement[] {
  const statements: RoleStatement[] = [];
  for (const line of text.split('\n')) {
    const prefix = PREFIXES.find((p) => line.startsWith(p.text));
    if (prefix === undefined || !line.trimEnd().endsWith(';')) continue;
    const [role, after] = readIdent(line, prefix.text.length);
    if (role === undefined) continue;
    if (prefix.kind !== 'grant') {
      statements.push({ sql: line, role, kind: prefix.kind });
      continue;
    }
    if (!line.startsWith(' TO ', after)) continue; // a privilege grant, not a role membership
    const [member, afterMember] = readIdent(line, after + 4);
    if (member === undefined) continue;
    const by = line.indexOf(' GRANTED BY ', afterMember);
    const [grantor] = by < 0 ? [undefined] : readIdent(line, by + ' GRANTED BY '.length);
    statements.push({
      sql: line,
      role,
      member,
      kind: 'grant',
      ...(grantor === undefined ? {} : { grantor }),
    });
  }
  return statements;
}

/** Keeps the statements about `roles` (a membership only when both sides are kept). */
export function keepRoles(statements: readonly RoleStatement[], roles: ReadonlySet<string>): RoleStatement[] {
  return statements.filter((s) =>
    s.kind === 'grant' ? roles.has(s.role) && roles.has(s.member ?? '') : roles.has(s.role),
  );
}

/** A role name as pg_dumpall writes it (double-quoted when needed), and the offset after it. */
function readIdent(line: string, at: number): [string | undefined, number] {
  if (line[at] === '"') {
    let name = '';
    for (let i = at + 1; i < line.length; i++) {
      if (line[i] === '"') {
        if (line[i + 1] === '"') {
          name += '"';
          i++;
          continue;
        }
        return [name, i + 1];
      }
      name += line[i];
    }
    return [undefined, line.length];
  }
  const match = /^[^\s;,]+/.exec(line.slice(at));
  return match === null ? [undefined, at] : [match[0], at + match[0].length];
}
