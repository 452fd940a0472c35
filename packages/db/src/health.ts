import type { Pool } from './pool.js';

/**
 * Which of `tables` do not exist in the database (resolved with the connection's search path), so a
 * service can refuse to start before migrations ran instead of failing on its first batch.
 * @throws the driver's error when the database is unreachable
 */
export async function missingTables(pool: Pool, tables: readonly string[]): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(`select t as name from unnest($1::text[]) as t where to_regclass(t) is null`, [
    tables,
  ]);
  return rows.map((r) => r.name);
}
