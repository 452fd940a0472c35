import { execFileSync } from 'node:child_process';
import { loadConfig } from '@voc/config';
import { migrateDatabase, recreateDatabase } from '@voc/db';

/**
 * Integration-test global setup: brings the local stack up (idempotent), recreates the test
 * database (`voc_test`, or VOC_TEST_PGDATABASE) and runs the migrations once. Each test owns its topics, groups, queues and rows.
 */
export default async function setup(): Promise<void> {
  const db = process.env.VOC_TEST_PGDATABASE ?? 'voc_test';
  execFileSync('bash', ['infra/scripts/stack.sh', 'up'], { stdio: 'inherit' });
  const cfg = loadConfig({ ...process.env, PGDATABASE: db });
  await recreateDatabase(cfg.pg, db);
  await migrateDatabase(cfg.pg);
}
