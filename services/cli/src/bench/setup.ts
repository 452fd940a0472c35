import { createLogger, loadConfig } from '@voc/config';
import { createPool } from '@voc/db';

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
 * Drops database `name` (forcing other sessions off) and creates it empty, connected through the
 * `postgres` database with the configured server settings. `name` is a trusted identifier (no quoting).
 */
export async function recreateDatabase(name: string): Promise<void> {
  const cfg = loadConfig({ ...process.env, PGDATABASE: 'postgres', LOG_LEVEL: 'silent' });
  const pool = createPool(cfg.pg, createLogger('bench', 'silent'));
  try {
    await pool.query(`drop database if exists ${name} with (force)`);
    await pool.query(`create database ${name}`);
  } finally {
    await pool.end();
  }
}
