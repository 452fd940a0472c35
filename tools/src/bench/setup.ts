import { createLogger, loadConfig } from '@voc/config';
import { createPool, recreateDatabase } from '@voc/db';

/**
 * Argument and database helpers shared by the benchmarks (`bench/ingest.ts`, `bench/hotspots.ts`).
 */

/**
 * The positive number after `--name` on the command line, or `def` when the flag is absent.
 * @throws Error when the value is not a positive finite number
 */
export function numberArg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

/**
 * Drops database `name` (forcing other sessions off) and creates it empty, with the configured server settings.
 */
export async function recreateBenchDatabase(name: string): Promise<void> {
  const cfg = loadConfig({ ...process.env, PGDATABASE: name, LOG_LEVEL: 'silent' });
  await recreateDatabase(cfg.pg, name);
}

/** Comment a benchmark puts on the database it creates; only a database holding it is ever dropped. */
const BENCH_MARK = 'created by a voc benchmark (tools/src/bench); safe to drop';

/**
 * Gives the benchmark an empty database `name` of its own: creates it (marked with a comment) when
 * missing, drops and recreates it when it carries the mark, and refuses one it did not create.
 * @throws Error when `name` exists without the mark (another checkout's or someone's data)
 */
export async function ownBenchDatabase(name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${JSON.stringify(name)} is not a plain identifier`);
  const cfg = loadConfig({ ...process.env, PGDATABASE: 'postgres', LOG_LEVEL: 'silent' });
  const pool = createPool({ ...cfg.pg, poolMax: 1 }, createLogger('bench', 'silent'), 'voc-bench-admin');
  try {
    const { rows } = await pool.query<{ mark: string | null }>(
      `select shobj_description(oid, 'pg_database') as mark from pg_database where datname = $1`,
      [name],
    );
    if (rows.length > 0 && rows[0]!.mark !== BENCH_MARK)
      throw new Error(`database ${name} exists and was not created by a benchmark: set VOC_BENCH_DATABASE to another name`);
    if (rows.length > 0) await pool.query(`drop database ${name} with (force)`);
    await pool.query(`create database ${name}`);
    await pool.query(`comment on database ${name} is '${BENCH_MARK}'`);
  } finally {
    await pool.end();
  }
}
