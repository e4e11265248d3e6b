import type mysql from 'mysql2/promise';

/** A user account, as MySQL and MariaDB name it: `'user'@'host'`. A MariaDB role is `['name', '']`. */
export type Account = readonly [user: string, host: string];

/** What `globals: true` stores: the users and (MariaDB) roles the databases need. */
export interface UsedAccounts {
  readonly users: readonly Account[];
  readonly roles: readonly string[];
}

/**
 * The accounts the databases use. Every account with a database-, table-, column- or routine-level grant on them,
 * and every DEFINER of their views, routines, triggers and events (a view whose definer is missing cannot be used).
 * On MariaDB also: the accounts a role of those is granted to (directly or through other roles), and every role the
 * stored accounts are granted, nested ones included. An administrator (global CREATE USER) holding a role only WITH
 * ADMIN OPTION, as MariaDB makes every role's creator, does not count as using it.
 */
export async function usedAccounts(
  connection: mysql.Connection,
  databases: readonly string[],
  mariadb: boolean,
): Promise<UsedAccounts> {
  const seeds = await grantsAndDefiners(connection, databases);
  if (!mariadb) return { users: sorted(seeds), roles: [] };
  const graph = await roleGraph(connection);
  const stored = new Map(seeds.map((account) => [key(account), account]));
  addMembers(graph, stored);
  addGrantedRoles(graph, stored);
  const all = [...stored.values()];
  const isRole = ([name, host]: Account) => host === '' && graph.roles.has(name);
  return {
    users: sorted(all.filter((account) => !isRole(account))),
    roles: all
      .filter(isRole)
      .map(([name]) => name)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}

async function grantsAndDefiners(
  connection: mysql.Connection,
  databases: readonly string[],
): Promise<Account[]> {
  const [grants] = await connection.query(
    `SELECT User AS user, Host AS host FROM mysql.db WHERE Db IN (?) OR REPLACE(Db, '\\\\_', '_') IN (?)
     UNION SELECT User, Host FROM mysql.tables_priv WHERE Db IN (?)
     UNION SELECT User, Host FROM mysql.columns_priv WHERE Db IN (?)
     UNION SELECT User, Host FROM mysql.procs_priv WHERE Db IN (?)`,
    [databases, databases, databases, databases, databases],
  );
  const [definers] = await connection.query(
    `SELECT DEFINER AS definer FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN (?)
     UNION SELECT DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN (?)
     UNION SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN (?)
     UNION SELECT DEFINER FROM information_schema.EVENTS WHERE EVENT_SCHEMA IN (?)`,
    [databases, databases, databases, databases],
  );
  const accounts = new Map<string, Account>();
  const add = (user: string, host: string) => {
    if (user !== '') accounts.set(key([user, host]), [user, host]);
  };
  for (const row of grants as { user: string; host: string }[]) add(String(row.user), String(row.host));
  for (const { definer } of definers as { definer: string }[]) {
    const at = String(definer).lastIndexOf('@');
    if (at > 0) add(definer.slice(0, at), definer.slice(at + 1));
  }
  return [...accounts.values()];
}

interface RoleGrant {
  readonly grantee: Account;
  readonly role: string;
  readonly admin: boolean;
}

interface RoleGraph {
  readonly roles: ReadonlySet<string>;
  readonly grants: readonly RoleGrant[];
  /** Accounts with the global CREATE USER privilege, by key. */
  readonly administrators: ReadonlySet<string>;
}

async function roleGraph(connection: mysql.Connection): Promise<RoleGraph> {
  const [accounts] = await connection.query(
    'SELECT User AS user, Host AS host, is_role AS isRole, Create_user_priv AS createUser FROM mysql.user',
  );
  const [mapping] = await connection.query(
    'SELECT User AS user, Host AS host, Role AS role, Admin_option AS admin FROM mysql.roles_mapping',
  );
  const rows = accounts as { user: string; host: string; isRole: string; createUser: string }[];
  return {
    roles: new Set(rows.filter((row) => row.isRole === 'Y').map((row) => String(row.user))),
    administrators: new Set(
      rows.filter((row) => row.createUser === 'Y').map((row) => key([String(row.user), String(row.host)])),
    ),
    grants: (mapping as { user: string; host: string; role: string; admin: string }[]).map((row) => ({
      grantee: [String(row.user), String(row.host)],
      role: String(row.role),
      admin: row.admin === 'Y',
    })),
  };
}

/** Adds the accounts that use a stored role: its grantees, and theirs when a grantee is itself a role. */
function addMembers(graph: RoleGraph, stored: Map<string, Account>): void {
  const pending = [...stored.values()].filter(([name, host]) => host === '' && graph.roles.has(name));
  for (let role = pending.pop(); role !== undefined; role = pending.pop()) {
    const [name] = role;
    for (const { grantee, role: granted, admin } of graph.grants) {
      if (granted !== name || stored.has(key(grantee))) continue;
      if (admin && graph.administrators.has(key(grantee))) continue;
      stored.set(key(grantee), grantee);
      if (grantee[1] === '' && graph.roles.has(grantee[0])) pending.push(grantee);
    }
  }
}

/** Adds every role granted to a stored account, and the roles granted to those. */
function addGrantedRoles(graph: RoleGraph, stored: Map<string, Account>): void {
  const pending = [...stored.values()];
  for (let account = pending.pop(); account !== undefined; account = pending.pop()) {
    const holder = key(account);
    for (const { grantee, role } of graph.grants) {
      const granted: Account = [role, ''];
      if (key(grantee) !== holder || stored.has(key(granted))) continue;
      stored.set(key(granted), granted);
      pending.push(granted);
    }
  }
}

function key(account: Account): string {
  return JSON.stringify(account);
}

function sorted(accounts: readonly Account[]): Account[] {
  return [...accounts].sort((a, b) => key(a).localeCompare(key(b)));
}
