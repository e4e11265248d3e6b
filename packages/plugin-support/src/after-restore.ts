import { type RestoreOptions, SourceError, type SourceQuery } from '@tricopy/contract';

/** Whether a restore has work after the data: `postRestoreSql` or `inspect`. */
export function hasAfterRestore(options: RestoreOptions): boolean {
  return (options.postRestoreSql ?? []).length > 0 || options.inspect !== undefined;
}

/** A restore's `postRestoreSql` (in order, read-write, through `execute`), then its `inspect` with `query`. */
export async function applyAfterRestore(
  options: RestoreOptions,
  where: string,
  target: { execute: (sql: string) => Promise<unknown>; query: SourceQuery },
): Promise<void> {
  for (const sql of options.postRestoreSql ?? []) {
    try {
      await target.execute(sql);
    } catch (error) {
      throw new SourceError(`${where}: post-restore SQL failed: ${sql}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  await options.inspect?.(target.query);
}
