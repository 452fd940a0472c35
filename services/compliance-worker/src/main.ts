#!/usr/bin/env node
/**
 * Composition root of the fume compliance worker: `node services/compliance-worker/dist/main.js`.
 * Evaluates the fume compliance rules (@voc/compliance; DOMAIN.md §4) for every active fume monitor
 * every `VOC_COMPLIANCE_TICK_MS` and opens "fume compliance" tasks routed by the jurisdiction map.
 * Settings: `VOC_COMPLIANCE_*`, `REDIS_URL`, `PG*`. SIGTERM/SIGINT finish the running tick and exit 0.
 */
import { Redis } from 'ioredis';
import { createLogger, installShutdown, loadConfig } from '@voc/config';
import { createPool } from '@voc/db';
import { buildComplianceWorker } from './app.js';

async function main(): Promise<void> {
  const config = loadConfig(process.env, { service: 'compliance-worker' });
  const log = createLogger('compliance-worker', config.logLevel);
  const pool = createPool(config.pg, log, 'voc-compliance-worker');
  const app = buildComplianceWorker({
    config,
    log,
    pool,
    redis: () =>
      new Redis(config.redis.url, { username: config.redis.username, password: config.redis.password, maxRetriesPerRequest: null }),
  });
  installShutdown(log, [() => app.stop(), () => pool.end()]);
  try {
    await app.start();
  } catch (err) {
    log.fatal({ err }, 'compliance worker failed to start');
    await app.stop().catch(() => undefined);
    await pool.end().catch(() => undefined);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`compliance-worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
