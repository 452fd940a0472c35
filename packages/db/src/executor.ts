import type { SqlExecutor } from './migrate.js';
import type { Client } from './pool.js';

/** Adapts one checked-out pg client to {@link SqlExecutor} (the migration runner needs one session). */
export function pgExecutor(client: Client): SqlExecutor {
  return {
    query: async <R>(sql: string, params?: unknown[]) => ({ rows: (await client.query(sql, params)).rows as R[] }),
    exec: (sql: string) => client.query(sql),
  };
}
