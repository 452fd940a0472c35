#!/usr/bin/env node
/**
 * Composition root of the hotspot worker: `node services/hotspot-worker/dist/main.js`.
 * Evaluates the hotspot grid (DOMAIN.md §6) for every metric of `VOC_HOTSPOT_METRICS` as windows close,
 * re-evaluates closed windows that receive late readings, opens trace-to-source tasks and publishes
 * alerts. Settings: `VOC_HOTSPOT_*`, `VOC_ALERT_DISPATCH_INTERVAL_MS`, `REDIS_URL`, `VOC_KAFKA_*`, `PG*`
 * (docs/hotspots.md). Run as many as you like: jobs have deterministic ids. SIGTERM/SIGINT finish the
 * running evaluations, publish pending alerts and exit 0.
 */
import { Partitioners } from 'kafkajs';
import { Redis } from 'ioredis';
import { createLogger, installShutdown, loadConfig } from '@voc/config';
import { createPool } from '@voc/db';
import { createKafka, requireTopics, topicNames } from '@voc/messaging';
import { buildHotspotWorker } from './app.js';
import { serveHotspotMetrics } from './metrics.js';

/** Longest graceful shutdown before the process exits anyway (ms); an unfinished job is retried by another worker. */
const SHUTDOWN_TIMEOUT_MS = 60_000;

async function main(): Promise<void> {
  const config = loadConfig(process.env, { service: 'hotspot-worker' });
  const log = createLogger('hotspot-worker', config.logLevel);
  const pool = createPool(config.pg, log, 'voc-hotspot-worker');
  const kafka = createKafka(config.kafka, log);
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  const topics = topicNames(config.kafka.topicPrefix);
  const app = buildHotspotWorker({
    config,
    log,
    pool,
    redis: () =>
      new Redis(config.redis.url, { username: config.redis.username, password: config.redis.password, maxRetriesPerRequest: null }),
    producer,
    alertsTopic: topics.alerts,
  });

  const stopMetrics = await serveHotspotMetrics(app, config.metrics.hotspotPort);
  installShutdown(log, [() => app.stop(), stopMetrics, () => producer.disconnect(), () => pool.end()], SHUTDOWN_TIMEOUT_MS);

  try {
    await producer.connect();
    await requireTopics(kafka.admin(), [topics.alerts]);
    await app.start();
  } catch (err) {
    log.fatal({ err }, 'hotspot worker failed to start');
    await app.stop().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await pool.end().catch(() => undefined);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`hotspot-worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
