#!/usr/bin/env node
/**
 * Composition root of the HTTP API: `node services/api/dist/main.js`. Listens on VOC_API_HOST:VOC_API_PORT
 * as PostgreSQL role `voc_api` (every statement bounded by VOC_API_STATEMENT_TIMEOUT_MS), Kafka
 * principal `api` (reads the alerts topic for the SSE stream) and the Redis user (per-key rate limits).
 * Also runs the webhook dispatcher. SIGTERM/SIGINT stop intake, close streams, the consumer, Redis and
 * the pool, in that order.
 */
import { Redis } from 'ioredis';
import { createLogger, installShutdown, listenErrorMessage, loadConfig } from '@voc/config';
import { createProvisioning, WebhookDispatcher } from '@voc/core';
import { createPool, createRepositories } from '@voc/db';
import { createKafka, requireTopics, topicNames } from '@voc/messaging';
import { createAlertHub } from './alert-hub.js';
import { startAlertConsumer } from './alert-consumer.js';
import { buildApp } from './app.js';
import { redisRateLimiter } from './ratelimit.js';

async function main(): Promise<void> {
  const config = loadConfig(process.env, { service: 'api' });
  const log = createLogger('api', config.logLevel);
  const pool = createPool(config.pg, log, 'voc-api', { statementTimeoutMs: config.api.statementTimeoutMs });
  const repos = createRepositories(pool);
  const redis = new Redis(config.redis.url, {
    username: config.redis.username,
    password: config.redis.password,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  });
  redis.on('error', (err) => log.warn({ err }, 'redis error'));
  const kafka = createKafka(config.kafka, log);
  const admin = kafka.admin();
  const topics = topicNames(config.kafka.topicPrefix);
  const hub = createAlertHub();
  const app = await buildApp({
    config,
    log,
    repos,
    rateLimiter: redisRateLimiter(redis, config.api.rateLimit, config.api.rateWindowS),
    alerts: hub,
    // The same provisioning as `voc devices register`: scrypt hashes in the registry, which the gateways read.
    provisioning: createProvisioning({ registry: repos.devices }),
    ready: {
      db: async () => void (await pool.query('select 1')),
      redis: async () => void (await redis.ping()),
      kafka: async () => void (await admin.describeCluster()),
    },
  });
  const dispatcher = new WebhookDispatcher(repos.webhooks, repos.alertLog, config.webhooks);
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      try {
        // One instance at a time delivers (an advisory lock): each alert goes out once, not once per instance.
        await repos.webhooks.exclusive(() => dispatcher.runOnce());
      } catch (err) {
        log.warn({ err }, 'webhook dispatch failed');
      }
      await new Promise((r) => setTimeout(r, config.webhooks.intervalMs));
    }
  })();
  let stopConsumer: () => Promise<void> = () => Promise.resolve();
  installShutdown(log, [
    () => app.close(),
    async () => {
      stopping = true;
      dispatcher.stop(); // a delivery waiting to retry gives up now; its alert goes out again after a restart
      await loop;
    },
    () => stopConsumer(),
    () => admin.disconnect(),
    () => Promise.resolve(redis.disconnect()),
    () => pool.end(),
  ]);
  try {
    await redis.connect();
    await admin.connect();
    await requireTopics(admin, [topics.alerts]);
    stopConsumer = await startAlertConsumer(
      kafka,
      topics.alerts,
      config.kafka.groupPrefix,
      config.api.instanceId,
      repos.alertLog,
      hub,
      log,
    );
    await app.listen({ host: config.api.host, port: config.api.port });
    log.info({ url: config.api.publicUrl }, 'HTTP API listening');
  } catch (err) {
    const why = listenErrorMessage(err, { [config.api.port]: 'VOC_API_PORT' });
    log.fatal(why ? { err: new Error(why) } : { err }, 'API failed to start');
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`api: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
