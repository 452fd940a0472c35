#!/usr/bin/env node
/**
 * Composition root of the writer service: `node services/writer/dist/main.js [--only readings|deadletters]`.
 * Runs the stream writer (readings topic → `readings`) and the dead-letter store (dead-letter topic →
 * `dead_letters`); `--only` runs one of them. Settings come from the environment (packages/config):
 * `VOC_WRITER_*`, `VOC_KAFKA_*` (including `VOC_KAFKA_TOPIC_PREFIX` and `VOC_KAFKA_GROUP_PREFIX`), `PG*`.
 * SIGTERM/SIGINT drain the batches in flight, commit them and disconnect; exit code 0.
 */
import { parseArgs } from 'node:util';
import { createLogger, installShutdown, loadConfig } from '@voc/config';
import { createPool } from '@voc/db';
import { createKafka } from '@voc/messaging';
import { serveWriterMetrics } from './metrics.js';
import { buildWriter, type WriterConsumers } from './app.js';

/** Longest graceful shutdown before the process exits anyway (ms); uncommitted batches are redelivered. */
const SHUTDOWN_TIMEOUT_MS = 60_000;

function consumersFromArgs(argv: string[]): WriterConsumers {
  const { values } = parseArgs({ args: argv, options: { only: { type: 'string' } }, strict: true });
  switch (values.only) {
    case undefined:
      return { readings: true, deadLetters: true };
    case 'readings':
      return { readings: true, deadLetters: false };
    case 'deadletters':
      return { readings: false, deadLetters: true };
    default:
      throw new Error(`--only must be "readings" or "deadletters", got "${values.only}"`);
  }
}

async function main(): Promise<void> {
  const consumers = consumersFromArgs(process.argv.slice(2));
  // Each consumer runs as its own Kafka principal (writer: readings; deadletters: the dead-letter store);
  // both use the writer's database role.
  const config = loadConfig(process.env, { service: consumers.readings ? 'writer' : 'deadletters' });
  const log = createLogger('writer', config.logLevel);
  const pool = createPool(config.pg, log, 'voc-writer');
  const apps = [
    ...(consumers.readings
      ? [buildWriter({ config, log, pool, kafka: createKafka(config.kafka, log), consumers: { readings: true, deadLetters: false } })]
      : []),
    ...(consumers.deadLetters
      ? [
          ((c) =>
            buildWriter({ config: c, log, pool, kafka: createKafka(c.kafka, log), consumers: { readings: false, deadLetters: true } }))(
            loadConfig(process.env, { service: 'deadletters' }),
          ),
        ]
      : []),
  ];
  const stopAll = () => Promise.all(apps.map((a) => a.stop())).then(() => undefined);

  // Prometheus /metrics of the stream writer (VOC_WRITER_METRICS_PORT; 0: none).
  const readingsApp = consumers.readings ? apps[0] : undefined;
  const stopMetrics = readingsApp ? await serveWriterMetrics(readingsApp, config.metrics.writerPort) : () => Promise.resolve();
  installShutdown(log, [stopAll, stopMetrics, () => pool.end()], SHUTDOWN_TIMEOUT_MS);

  try {
    for (const app of apps) await app.start();
  } catch (err) {
    log.fatal({ err }, 'writer failed to start');
    await stopAll().catch(() => undefined);
    await pool.end().catch(() => undefined);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`writer: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
