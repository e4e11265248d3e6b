import { describe, expect, it } from 'vitest';
import { keepRoles, parseRoleStatements } from './role-statements.js';

const DUMPALL = `--
-- Roles
--
\\restrict abc
SET default_transaction_read_only = off;
CREATE ROLE alice;
ALTER ROLE alice WITH NOSUPERUSER INHERIT LOGIN PASSWORD 'SCRAM-SHA-256$4096:x';
CREATE ROLE "Shop ""Quoted"" Auditor";
COMMENT ON ROLE "Shop ""Quoted"" Auditor" IS 'reads; writes nothing';
ALTER ROLE alice SET work_mem TO '8MB';
GRANT shop_reader TO "Shop ""Quoted"" Auditor" GRANTED BY postgres;
GRANT shop_reader TO alice;
CREATE ROLE shop_reader;
`;

describe('pg_dumpall role statements', () => {
  it('reads each statement with its role, quoted names included, and leaves SET lines and comments out', () => {
    const statements = parseRoleStatements(DUMPALL);
    expect(statements.map((s) => [s.kind, s.role, s.member ?? null, s.grantor ?? null])).toEqual([
      ['create', 'alice', null, null],
      ['alter', 'alice', null, null],
      ['create', 'Shop "Quoted" Auditor', null, null],
      ['comment', 'Shop "Quoted" Auditor', null, null],
      ['alter', 'alice', null, null],
      ['grant', 'shop_reader', 'Shop "Quoted" Auditor', 'postgres'],
      ['grant', 'shop_reader', 'alice', null],
      ['create', 'shop_reader', null, null],
    ]);
  });

  it('keeps the statements of the kept roles, a membership only when both sides are kept', () => {
    const kept = keepRoles(parseRoleStatements(DUMPALL), new Set(['alice', 'shop_reader']));
    expect(kept.map((s) => s.sql)).toEqual([
      'CREATE ROLE alice;',
      "ALTER ROLE alice WITH NOSUPERUSER INHERIT LOGIN PASSWORD 'SCRAM-SHA-256$4096:x';",
      "ALTER ROLE alice SET work_mem TO '8MB';",
      'GRANT shop_reader TO alice;',
      'CREATE ROLE shop_reader;',
    ]);
  });
});
