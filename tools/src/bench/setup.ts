import { loadConfig } from '@voc/config';
import { recreateDatabase } from '@voc/db';

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
