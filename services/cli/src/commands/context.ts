import { createLogger, loadConfig, type Config } from '@voc/config';
import type { Logger } from '@voc/domain';
import { createPool, type Pool } from '@voc/db';

/**
 * The composition a database-backed command needs: configuration, a logger and a pool that is closed
 * when `fn` settles (whether it returns or throws).
 * @param applicationName shown in `pg_stat_activity`, e.g. `voc-tasks`
 */
export async function withPool<T>(applicationName: string, fn: (pool: Pool, cfg: Config, log: Logger) => Promise<T>): Promise<T> {
  const cfg = loadConfig(process.env, { service: 'cli' });
  const log = createLogger('cli', cfg.logLevel);
  const pool = createPool(cfg.pg, log, applicationName);
  try {
    return await fn(pool, cfg, log);
  } finally {
    await pool.end();
  }
}
