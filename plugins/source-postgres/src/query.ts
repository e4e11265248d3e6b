import { SourceError } from '@tricopy/contract';
import { queryValueText } from '@tricopy/plugin-support';
import type pg from 'pg';

/** Every value as the text PostgreSQL sends: no parsing into numbers or dates. */
const AS_TEXT = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/**
 * Runs one statement in a read-only transaction that is rolled back, through the extended protocol (one statement
 * only: a `; COMMIT; …` in `sql` is a syntax error, not a way out of the transaction).
 */
export async function readOnlyQuery(client: pg.Client, sql: string, where: string): Promise<string | null> {
  await client.query('BEGIN READ ONLY');
  try {
    // queryMode (pg 8.12+) is missing from @types/pg.
    const query = {
      text: sql,
      rowMode: 'array',
      queryMode: 'extended',
      types: AS_TEXT,
    } as pg.QueryArrayConfig;
    const result = await client.query(query);
    return queryValueText((result.rows[0] as unknown[] | undefined)?.[0]);
  } catch (error) {
    throw new SourceError(`${where}: the query failed: ${(error as Error).message}`, { cause: error });
  } finally {
    await client.query('ROLLBACK').catch(() => {});
  }
}
