import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { loadConfig } from '@voc/config';
import { migrate, pgExecutor } from '@voc/db';

/**
 * Integration-test global setup: brings the local stack up (idempotent), recreates the `voc_test`
 * database and runs the migrations once. Each test owns its topics, groups, queues and rows.
 */
export default async function setup(): Promise<void> {
  execFileSync('bash', ['infra/scripts/stack.sh', 'up'], { stdio: 'inherit' });
  const cfg = loadConfig({ ...process.env, PGDATABASE: 'voc_test' });
  const admin = new pg.Client({ host: cfg.pg.host, port: cfg.pg.port, user: cfg.pg.user, database: 'postgres' });
  await admin.connect();
  await admin.query('drop database if exists voc_test with (force)');
  await admin.query('create database voc_test');
  await admin.end();
  const client = new pg.Client({ host: cfg.pg.host, port: cfg.pg.port, user: cfg.pg.user, database: 'voc_test' });
  await client.connect();
  await migrate(pgExecutor(client as unknown as Parameters<typeof pgExecutor>[0]));
  await client.end();
}
