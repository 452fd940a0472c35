import type { Logger } from '@voc/domain';
import type { Config } from '@voc/config';
import { migrate } from './migrate.js';
import { pgExecutor } from './executor.js';
import { createPool } from './pool.js';
import { ensureRoleLogins } from './roles.js';

/** A logger that drops everything, for one-shot administrative connections. */
const QUIET: Logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: () => undefined, child: () => QUIET };

/**
 * Drops database `name` (forcing other sessions off) and creates it empty, connected through the
 * `postgres` database with the other settings of `cfg` (tests, benchmarks).
 * @param name a plain identifier (`[a-z_][a-z0-9_]*`)
 * @throws Error for any other name (it is interpolated into SQL)
 */
export async function recreateDatabase(cfg: Config['pg'], name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${JSON.stringify(name)} is not a plain identifier`);
  const pool = createPool({ ...cfg, database: 'postgres', poolMax: 1 }, QUIET, 'voc-admin');
  try {
    await pool.query(`drop database if exists ${name} with (force)`);
    await pool.query(`create database ${name}`);
  } finally {
    await pool.end();
  }
}

/** Runs the migrations on the database of `cfg` over one session, then closes it. */
export async function migrateDatabase(cfg: Config['pg'], opts?: Parameters<typeof migrate>[1]): Promise<void> {
  const pool = createPool({ ...cfg, poolMax: 1 }, QUIET, 'voc-migrate');
  const client = await pool.connect();
  try {
    await migrate(pgExecutor(client), opts);
  } finally {
    client.release();
    await pool.end();
  }
}

/**
 * Gives every service role LOGIN and its password (`cfg.logins`, see {@link ensureRoleLogins}) over
 * one session of the migration role, then closes it (tests, benchmarks; `voc setup` does the same).
 * @returns the roles updated
 */
export async function enableRoleLogins(cfg: Config['pg']): Promise<string[]> {
  const pool = createPool({ ...cfg, poolMax: 1 }, QUIET, 'voc-migrate');
  const client = await pool.connect();
  try {
    return await ensureRoleLogins(pgExecutor(client), Object.values(cfg.logins));
  } finally {
    client.release();
    await pool.end();
  }
}
