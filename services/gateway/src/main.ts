#!/usr/bin/env node
import { hostname } from 'node:os';
import { Partitioners } from 'kafkajs';
import { createLogger, installShutdown, loadConfig } from '@voc/config';
import { createPool, DeviceRepository } from '@voc/db';
import { gatewaySharedFilter } from '@voc/domain';
import { createKafka, requireTopics, topicNames } from '@voc/messaging';
import { createDeviceDirectory } from './devices.js';
import { buildGateway, formatStats } from './app.js';
import { createMqttIntake } from './mqtt.js';

/** Interval of the one-line stats summary at info level, ms. */
const STATS_INTERVAL_MS = 10_000;

/**
 * Composition root of the ingest gateway: config, logger, pool and device registry, Kafka producer,
 * MQTT intake. Fails at boot when the database, the Kafka topics or the broker subscription are not
 * there. SIGTERM/SIGINT: stop intake, flush the in-flight batch, disconnect MQTT, producer, pool.
 */
async function main(): Promise<void> {
  const cfg = loadConfig(process.env, { service: 'gateway' });
  const log = createLogger('gateway', cfg.logLevel);
  const pool = createPool(cfg.pg, log, 'voc-gateway');
  await pool.query('select 1');
  const devices = createDeviceDirectory(new DeviceRepository(pool), { ttlMs: cfg.ingest.deviceCacheTtlMs });

  const topics = topicNames(cfg.kafka.topicPrefix);
  const kafka = createKafka(cfg.kafka, log);
  await requireTopics(kafka.admin(), [topics.readings, topics.deadletter]);
  // Java-compatible murmur2 partitioning by key (device id), so one device's readings stay in one partition, in order.
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();

  const clientId = cfg.mqtt.clientId ?? `voc-gateway-${hostname()}`;
  const gateway = buildGateway({
    intake: createMqttIntake({
      url: cfg.mqtt.url,
      username: cfg.mqtt.gatewayUsername,
      password: cfg.mqtt.gatewayPassword,
      clientId,
      filter: gatewaySharedFilter(cfg.mqtt.shareGroup),
      receiveMaximum: cfg.mqtt.receiveMaximum,
      sessionExpirySeconds: cfg.mqtt.sessionExpirySeconds,
      log,
    }),
    devices,
    sink: producer,
    topics,
    settings: cfg.ingest,
    log,
  });

  const statsTimer = setInterval(() => {
    const s = gateway.stats();
    log.info({ stats: s }, formatStats(s));
  }, STATS_INTERVAL_MS);
  installShutdown(log, [
    () => Promise.resolve(clearInterval(statsTimer)),
    () => gateway.stop(),
    () => producer.disconnect(),
    () => pool.end(),
  ]);

  await gateway.start();
  log.info({ clientId, shareGroup: cfg.mqtt.shareGroup, mqtt: cfg.mqtt.url }, 'gateway ready');
}

main().catch((err: unknown) => {
  process.stderr.write(`voc-gateway: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
