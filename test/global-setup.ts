import { execFileSync } from 'node:child_process';
import { loadConfig } from '@voc/config';
import { enableRoleLogins, migrateDatabase, recreateDatabase } from '@voc/db';

/**
 * Integration-test global setup: brings the local stack up (idempotent), recreates the test
 * database (`voc_test`, or VOC_TEST_PGDATABASE), runs the migrations once and gives the service roles
 * their logins (migrations/005_roles.sql), as `voc setup` does: the services the tests start connect
 * with their own roles. Each test owns its topics, groups, queues and rows.
 */
export default async function setup(): Promise<void> {
  const db = process.env.VOC_TEST_PGDATABASE ?? 'voc_test';
  execFileSync('bash', ['infra/scripts/stack.sh', 'up'], { stdio: 'inherit' });
  const cfg = loadConfig({ ...process.env, PGDATABASE: db });
  await recreateDatabase(cfg.pg, db);
  await migrateDatabase(cfg.pg);
  await enableRoleLogins(cfg.pg);
}
