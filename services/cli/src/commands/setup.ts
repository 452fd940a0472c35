import { loadConfig, createLogger } from '@voc/config';
import { createPool, ensureRoleLogins, migrate, pgExecutor } from '@voc/db';
import { createKafka, ensureAcls, ensureTopics, kafkaAcls, topicNames } from '@voc/messaging';
import type { Command } from './types.js';

/**
 * Runs the database migrations (plain PostgreSQL, plus TimescaleDB features where available).
 * @param logins also give the service roles LOGIN and their passwords (`voc setup`)
 */
async function runMigrations(logins = false): Promise<void> {
  const cfg = loadConfig();
  const log = createLogger('cli', cfg.logLevel);
  const pool = createPool(cfg.pg, log, 'voc-migrate');
  const client = await pool.connect();
  try {
    const r = await migrate(pgExecutor(client), { settings: cfg.timescale, vanMaxSpeedKmh: cfg.hotspot.vanMaxSpeedKmh });
    process.stdout.write(
      `migrations: ${r.applied.length ? r.applied.join(', ') : 'up to date'} (TimescaleDB ${r.timescale ? 'on' : 'not available: plain PostgreSQL tables'})\n`,
    );
    if (logins) {
      const roles = await ensureRoleLogins(pgExecutor(client), Object.values(cfg.pg.logins));
      process.stdout.write(`database roles: ${roles.join(', ')} can log in\n`);
    }
  } finally {
    client.release();
    await pool.end();
  }
}

/** `voc migrate`. */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply database migrations',
  usage: 'voc migrate',
  async run() {
    await runMigrations();
    return 0;
  },
};

/**
 * `voc setup`: migrations, service role logins, Kafka topics (with `VOC_KAFKA_TOPIC_PREFIX`, as the
 * services name them) and their ACLs per principal, idempotent. Runs as the migration role and the Kafka super user.
 */
export const setupCommand: Command = {
  name: 'setup',
  summary: 'apply migrations, enable the service roles, create the Kafka topics and ACLs (idempotent)',
  usage: 'voc setup',
  async run() {
    await runMigrations(true);
    const cfg = loadConfig();
    const log = createLogger('cli', cfg.logLevel);
    const admin = createKafka(cfg.kafka, log).admin();
    await admin.connect();
    try {
      const names = topicNames(cfg.kafka.topicPrefix);
      const created = await ensureTopics(admin, names);
      process.stdout.write(`kafka topics: ${created.length ? `created ${created.join(', ')}` : 'up to date'}\n`);
      const acls = await ensureAcls(admin, kafkaAcls(names, cfg.kafka.groupPrefix), cfg.kafka.principals);
      process.stdout.write(`kafka ACLs: ${acls} bindings for ${Object.keys(cfg.kafka.principals).length - 1} service principals\n`);
    } finally {
      await admin.disconnect();
    }
    return 0;
  },
};
