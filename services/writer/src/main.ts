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
  const config = loadConfig();
  const log = createLogger('writer', config.logLevel);
  const pool = createPool(config.pg, log, 'voc-writer');
  const kafka = createKafka(config.kafka, log);
  const app = buildWriter({ config, log, pool, kafka, consumers });

  installShutdown(log, [() => app.stop(), () => pool.end()], SHUTDOWN_TIMEOUT_MS);

  try {
    await app.start();
  } catch (err) {
    log.fatal({ err }, 'writer failed to start');
    await app.stop().catch(() => undefined);
    await pool.end().catch(() => undefined);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`writer: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
