#!/usr/bin/env node
import { createServer } from 'node:http';
import { Partitioners } from 'kafkajs';
import { createLogger, installShutdown, listenOn, loadConfig } from '@voc/config';
import { createPool, Hj212DeviceRepository } from '@voc/db';
import { createKafka, requireTopics, topicNames } from '@voc/messaging';
import { buildHj212Gateway } from './app.js';
import { createGatewayMetrics } from './metrics.js';

/**
 * Composition root of the HJ 212 TCP gateway: config (service `hj212-gateway`: PostgreSQL role
 * `voc_hj212`, Kafka principal `hj212`), logger, pool and logger registry, Kafka producer, the TCP
 * listener (VOC_HJ212_HOST:VOC_HJ212_PORT) and Prometheus `/metrics` (VOC_HJ212_METRICS_PORT). Fails at
 * boot when the database or the topics are missing. SIGTERM/SIGINT: stop accepting, answer what is in
 * flight, close the loggers, disconnect the producer, close the pool.
 */
async function main(): Promise<void> {
  const cfg = loadConfig(process.env, { service: 'hj212-gateway' });
  const log = createLogger('hj212-gateway', cfg.logLevel);
  const pool = createPool(cfg.pg, log, 'voc-hj212-gateway');
  await pool.query('select 1 from hj212_devices limit 1');
  const topics = topicNames(cfg.kafka.topicPrefix);
  const kafka = createKafka(cfg.kafka, log);
  await requireTopics(kafka.admin(), [topics.readings, topics.deadletter]);
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();

  const metrics = createGatewayMetrics({ defaultMetrics: true });
  const gateway = buildHj212Gateway({
    loggers: new Hj212DeviceRepository(pool),
    sink: producer,
    topics,
    settings: cfg.hj212,
    ingest: cfg.ingest,
    log,
    metrics,
  });
  const http = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  installShutdown(log, [
    () => new Promise<void>((resolve) => http.close(() => resolve())),
    () => gateway.stop(),
    () => producer.disconnect(),
    () => pool.end(),
  ]);
  await new Promise<void>((resolve, reject) => {
    gateway.server.once('error', reject);
    gateway.server.listen({ port: cfg.hj212.port, host: cfg.hj212.host, backlog: cfg.hj212.listenBacklog }, () => resolve());
  });
  if (cfg.hj212.metricsPort !== 0) await listenOn(http, cfg.hj212.metricsPort, cfg.hj212.host, 'VOC_HJ212_METRICS_PORT');
  log.info({ host: cfg.hj212.host, port: cfg.hj212.port, metricsPort: cfg.hj212.metricsPort }, 'HJ 212 gateway ready');
}

main().catch((err: unknown) => {
  process.stderr.write(`voc-hj212-gateway: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
