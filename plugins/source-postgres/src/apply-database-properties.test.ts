import { describe, expect, it } from 'vitest';
import { setClause, splitSettingList } from './apply-database-properties.js';

const literal = { escapeLiteral: (text: string) => `'${text.replaceAll("'", "''")}'` };

describe('settings as pg_dump writes them', () => {
  it('splits a list setting as PostgreSQL stores it, quotes undone', () => {
    expect(splitSettingList('"$user", public, "Odd, ""Schema"""')).toEqual([
      '$user',
      'public',
      'Odd, "Schema"',
    ]);
    expect(splitSettingList('')).toEqual([]);
  });

  it('quotes each element of a list setting, and any other value whole', () => {
    expect(setClause(literal, 'search_path="$user", public')).toBe(`SET "search_path" TO '$user', 'public'`);
    expect(setClause(literal, 'search_path=')).toBe(`SET "search_path" TO ''`);
    expect(setClause(literal, "application_name=it's, one")).toBe(`SET "application_name" TO 'it''s, one'`);
    expect(setClause(literal, 'myapp.tenant=a=b')).toBe(`SET "myapp.tenant" TO 'a=b'`);
  });
});
