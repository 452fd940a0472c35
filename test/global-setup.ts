import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { loadConfig } from '@voc/config';
import { ensureRoleLogins, migrate, pgExecutor } from '@voc/db';

/**
 * Integration-test global setup: brings the local stack up (idempotent), recreates the test
 * database (`voc_test`, or VOC_TEST_PGDATABASE), runs the migrations once and lets the service roles log in. Each test owns its topics, groups, queues and rows.
 */
export default async function setup(): Promise<void> {
  const db = process.env.VOC_TEST_PGDATABASE ?? 'voc_test';
  if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`test database name ${JSON.stringify(db)} is not a plain identifier`);
  execFileSync('bash', ['infra/scripts/stack.sh', 'up'], { stdio: 'inherit' });
  const cfg = loadConfig({ ...process.env, PGDATABASE: db });
  const admin = new pg.Client({ host: cfg.pg.host, port: cfg.pg.port, user: cfg.pg.user, database: 'postgres' });
  await admin.connect();
  await admin.query(`drop database if exists ${db} with (force)`);
  await admin.query(`create database ${db}`);
  await admin.end();
  const client = new pg.Client({ host: cfg.pg.host, port: cfg.pg.port, user: cfg.pg.user, database: db });
  await client.connect();
  await migrate(pgExecutor(client as unknown as Parameters<typeof pgExecutor>[0]));
  // The services the tests start connect with their own roles (migrations/005_roles.sql), as `voc setup` enables them.
  await ensureRoleLogins(pgExecutor(client as unknown as Parameters<typeof pgExecutor>[0]), Object.values(cfg.pg.logins));
  await client.end();
}
