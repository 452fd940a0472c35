#!/usr/bin/env node
import { Partitioners } from 'kafkajs';
import { createLogger, installShutdown, listenErrorMessage, loadConfig } from '@voc/config';
import { hashPassword, needsRehash, verifyPassword } from '@voc/core';
import { createPool, DeviceRepository } from '@voc/db';
import { createKafka, requireTopics, topicNames } from '@voc/messaging';
import { buildGateway, formatStats, type Gateway } from './app.js';
import { createDeviceDirectory } from './directory.js';
import { endpointOptions } from './endpoint.js';
import { createGatewayMetrics, serveMetrics } from './metrics.js';

/** Interval of the one-line stats summary at info level, ms. */
const STATS_INTERVAL_MS = 10_000;

/**
 * Composition root of the ingest gateway: config, logger, pool and device registry (the gateway's own
 * PostgreSQL role), Kafka producer (its own principal), in-memory device directory, the devices' MQTT
 * endpoint and the Prometheus endpoint. Fails at boot when the database, the Kafka topics or a port
 * are not there. SIGTERM/SIGINT: stop reading devices, flush what is in flight, close producer and pool.
 */
async function main(): Promise<void> {
  const cfg = loadConfig(process.env, { service: 'gateway' });
  const log = createLogger('gateway', cfg.logLevel);
  const pool = createPool(cfg.pg, log, 'voc-gateway');
  await pool.query('select 1');
  const repo = new DeviceRepository(pool);

  const topics = topicNames(cfg.kafka.topicPrefix);
  const kafka = createKafka(cfg.kafka, log);
  await requireTopics(kafka.admin(), [topics.readings, topics.deadletter]);
  // Java-compatible murmur2 partitioning by key (device id), so one device's readings stay in one partition, in order.
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();

  const metrics = createGatewayMetrics();
  // The directory is built before the gateway it reports revoked devices to.
  const late: { gateway?: Gateway } = {};
  const directory = createDeviceDirectory(repo, {
    refreshMs: cfg.ingest.deviceRefreshMs,
    fullRefreshMs: cfg.ingest.deviceFullRefreshMs,
    log,
    onRevoked: (id) => {
      const n = late.gateway?.disconnectDevice(id) ?? 0;
      if (n > 0) log.info({ deviceId: id, connections: n }, 'device disabled: its connections were closed');
    },
  });
  const gw = buildGateway({
    directory,
    hasher: { hash: hashPassword, verify: verifyPassword, needsRehash },
    upgrader: repo,
    sink: producer,
    topics,
    settings: cfg.ingest,
    endpoint: endpointOptions(cfg),
    log,
    metrics,
  });
  late.gateway = gw;
  metrics.bind({
    snapshot: () => gw.snapshot(),
    stats: () => gw.stats(),
    directory: () => ({ size: directory.size(), healthy: directory.healthy() }),
  });
  const metricsServer = await serveMetrics(metrics.registry, cfg.gatewayMetrics.host, cfg.gatewayMetrics.port);

  const statsTimer = setInterval(() => {
    const s = gw.stats();
    log.info({ stats: s }, formatStats(s, gw.snapshot()));
  }, STATS_INTERVAL_MS);
  installShutdown(log, [
    () => Promise.resolve(clearInterval(statsTimer)),
    () => gw.stop(),
    () => new Promise<void>((resolve) => metricsServer.server.close(() => resolve())),
    () => producer.disconnect(),
    () => pool.end(),
  ]);

  const addresses = await gw.start().catch((err: unknown) => {
    const msg = listenErrorMessage(err, {
      [cfg.mqtt.port]: 'VOC_MQTT_PORT',
      ...(cfg.mqtt.tls ? { [cfg.mqtt.tls.port]: 'VOC_MQTT_TLS_PORT' } : {}),
    });
    throw msg ? new Error(msg) : err;
  });
  log.info(
    { mqttPort: addresses.tcp?.port, mqttTlsPort: addresses.tls?.port, metricsPort: metricsServer.address.port, devices: directory.size() },
    'gateway ready',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`voc-gateway: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
