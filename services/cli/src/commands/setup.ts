import { loadConfig, createLogger } from '@voc/config';
import { createPool, migrate, pgExecutor } from '@voc/db';
import { createKafka, ensureTopics, topicNames } from '@voc/messaging';
import type { Command } from './types.js';

/** Runs the database migrations (plain PostgreSQL, plus TimescaleDB features where available). */
async function runMigrations(): Promise<void> {
  const cfg = loadConfig();
  const log = createLogger('cli', cfg.logLevel);
  const pool = createPool(cfg.pg, log, 'voc-migrate');
  const client = await pool.connect();
  try {
    const r = await migrate(pgExecutor(client), { settings: cfg.timescale, vanMaxSpeedKmh: cfg.hotspot.vanMaxSpeedKmh });
    process.stdout.write(
      `migrations: ${r.applied.length ? r.applied.join(', ') : 'up to date'} (TimescaleDB ${r.timescale ? 'on' : 'not available: plain PostgreSQL tables'})\n`,
    );
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

/** `voc setup`: migrations and Kafka topics (with `VOC_KAFKA_TOPIC_PREFIX`, as the services name them), idempotent. */
export const setupCommand: Command = {
  name: 'setup',
  summary: 'apply migrations and create the Kafka topics (idempotent)',
  usage: 'voc setup',
  async run() {
    await runMigrations();
    const cfg = loadConfig();
    const log = createLogger('cli', cfg.logLevel);
    const admin = createKafka(cfg.kafka, log).admin();
    await admin.connect();
    try {
      const created = await ensureTopics(admin, topicNames(cfg.kafka.topicPrefix));
      process.stdout.write(`kafka topics: ${created.length ? `created ${created.join(', ')}` : 'up to date'}\n`);
    } finally {
      await admin.disconnect();
    }
    return 0;
  },
};
