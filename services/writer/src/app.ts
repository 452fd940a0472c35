import { Partitioners, type Consumer, type Kafka, type Producer } from 'kafkajs';
import type { Config } from '@voc/config';
import { CONSUMER_GROUPS, ERROR_CODES, VocError, type Logger } from '@voc/domain';
import {
  DeadLetterRepository,
  isDataDbError,
  isTransientDbError,
  missingTables,
  ReadingRepository,
  withTransaction,
  type Pool,
} from '@voc/db';
import { requireTopics, topicNames, type Sleep, type TopicNames } from '@voc/messaging';
import { DeadLetterStoreService, type DeadLetterStore } from './deadletter-store.js';
import { kafkaDeadLetterSink, startConsumer } from './kafka.js';
import { StreamWriter, type ReadingStore, type StoreErrors } from './writer.js';

/** Which consumers a writer process runs. */
export interface WriterConsumers {
  /** The stream writer on the readings topic. */
  readings: boolean;
  /** The dead-letter store on the dead-letter topic. */
  deadLetters: boolean;
}

/** Dependencies of {@link buildWriter}; everything with I/O is created by the caller (main.ts or a test). */
export interface WriterAppDeps {
  config: Config;
  log: Logger;
  pool: Pool;
  kafka: Kafka;
  /** Default: both. */
  consumers?: Partial<WriterConsumers>;
  /** Default: catalogue names with `config.kafka.topicPrefix`. */
  topics?: TopicNames;
  /** Default: `config.kafka.groupPrefix` + `CONSUMER_GROUPS.writer` / `.deadletterStore`. */
  groups?: { writer?: string; deadletterStore?: string };
  /** Period of the summary log line, ms. Default 10 000. */
  summaryIntervalMs?: number;
  sleep?: Sleep;
}

/** A built writer process: start it, stop it, read its counters. */
export interface WriterApp {
  readonly writer: StreamWriter;
  readonly deadLetterStore: DeadLetterStoreService;
  readonly topics: TopicNames;
  readonly groups: { writer: string; deadletterStore: string };
  /**
   * Checks the database schema and the Kafka topics, then joins the consumer groups.
   * @throws VocError `VOC_ERR_DATABASE_UNAVAILABLE` when tables are missing (run `voc migrate`),
   *   `VOC_ERR_KAFKA_UNAVAILABLE` when topics are missing (run `voc setup`)
   */
  start(): Promise<void>;
  /** Drains the batches in flight (committing them), leaves the groups, flushes the producer. Idempotent. */
  stop(): Promise<void>;
  /** Counters of both consumers, as logged in the summary line. */
  summary(): { readings: StreamWriter['counters']; deadLetters: DeadLetterStoreService['counters'] };
}

/** Period of the summary log line (ms). */
const SUMMARY_INTERVAL_MS = 10_000;

/**
 * Longest time the broker holds a fetch open when there is nothing to read (ms). kafkajs defaults to
 * 5000; a stop waits for the fetch in flight, so a shorter one makes shutdown and rebalances quicker.
 */
const MAX_FETCH_WAIT_MS = 1000;

/**
 * Consumer settings of both groups. A killed writer's partitions move after the session timeout, and
 * the survivors join the new generation at their next heartbeat, so failover takes about session
 * timeout + heartbeat + one join/sync round (defaults 10 s and 1 s: README "Writer failover").
 */
function consumerConfig(groupId: string, sessionTimeout: number, heartbeatInterval: number) {
  return {
    groupId,
    sessionTimeout,
    heartbeatInterval,
    maxWaitTimeInMs: MAX_FETCH_WAIT_MS,
    allowAutoTopicCreation: false,
  };
}

/** Error classification of PostgreSQL, shared by both stores. */
const pgErrors: StoreErrors = { isTransient: isTransientDbError, isRefused: isDataDbError };

/**
 * Composes the stream writer and the dead-letter store over PostgreSQL and Kafka.
 * Readings are inserted by {@link ReadingRepository} inside one transaction per chunk; dead letters go
 * to the dead-letter topic through an acks=all producer and from there into `dead_letters`.
 */
export function buildWriter(deps: WriterAppDeps): WriterApp {
  const { config, log, pool, kafka } = deps;
  const enabled: WriterConsumers = { readings: deps.consumers?.readings ?? true, deadLetters: deps.consumers?.deadLetters ?? true };
  const topics = deps.topics ?? topicNames(config.kafka.topicPrefix);
  const groups = {
    writer: deps.groups?.writer ?? config.kafka.groupPrefix + CONSUMER_GROUPS.writer,
    deadletterStore: deps.groups?.deadletterStore ?? config.kafka.groupPrefix + CONSUMER_GROUPS.deadletterStore,
  };

  const readingRepo = new ReadingRepository(pool);
  const readingStore: ReadingStore = {
    insertBatch: (messages) => withTransaction(pool, (client) => readingRepo.insertBatch(messages, client)),
  };
  const deadLetterStore: DeadLetterStore = new DeadLetterRepository(pool);

  // Dead letters are keyed by device id; the default (murmur2, Java-compatible) partitioner places them.
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  const writerLog = log.child({ consumer: 'readings' });
  const dlqLog = log.child({ consumer: 'deadletters' });
  const writer = new StreamWriter({
    store: readingStore,
    errors: pgErrors,
    deadLetters: kafkaDeadLetterSink(producer, topics.deadletter),
    log: writerLog,
    options: { maxBatchRows: config.writer.maxBatchRows, retryMaxMs: config.writer.retryMaxMs },
    sleep: deps.sleep,
  });
  const dlqService = new DeadLetterStoreService({
    store: deadLetterStore,
    errors: pgErrors,
    log: dlqLog,
    options: { retryMaxMs: config.writer.retryMaxMs },
    sleep: deps.sleep,
  });

  const consumers: Consumer[] = [];
  let producerConnected = false;
  let timer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  let last = { messages: 0, letters: 0, at: Date.now() };

  const summary = () => ({ readings: { ...writer.counters }, deadLetters: { ...dlqService.counters } });
  const logSummary = () => {
    const s = summary();
    const now = Date.now();
    const secs = Math.max((now - last.at) / 1000, 0.001);
    const ratePerSec = Math.round((s.readings.messages - last.messages) / secs);
    log.info({ ...s, ratePerSec, deadLettersStoredPerSec: Math.round((s.deadLetters.letters - last.letters) / secs) }, 'writer summary');
    last = { messages: s.readings.messages, letters: s.deadLetters.letters, at: now };
  };

  async function checkReady(): Promise<void> {
    const tables = [...(enabled.readings ? ['readings'] : []), ...(enabled.deadLetters ? ['dead_letters'] : [])];
    const missing = await missingTables(pool, tables).catch((err: unknown) => {
      throw new VocError(
        ERROR_CODES.database_unavailable,
        `database ${config.pg.host}:${config.pg.port}/${config.pg.database} unreachable`,
        { retry: true, cause: err },
      );
    });
    if (missing.length > 0)
      throw new VocError(ERROR_CODES.database_unavailable, `missing tables ${missing.join(', ')}: run \`voc migrate\``);
    const wanted = [...(enabled.readings ? [topics.readings, topics.deadletter] : []), ...(enabled.deadLetters ? [topics.deadletter] : [])];
    await requireTopics(kafka.admin(), wanted);
  }

  return {
    writer,
    deadLetterStore: dlqService,
    topics,
    groups,
    summary,
    async start() {
      await checkReady();
      if (enabled.readings) {
        await producer.connect();
        producerConnected = true;
        const c = kafka.consumer(consumerConfig(groups.writer, config.writer.sessionTimeoutMs, config.writer.heartbeatMs));
        consumers.push(c);
        await startConsumer(
          c,
          { topic: topics.readings, partitionsConsumedConcurrently: config.writer.partitionsConsumedConcurrently },
          (batch, control) => writer.storeBatch(batch, control),
          writerLog,
        );
      }
      if (enabled.deadLetters) {
        const c = kafka.consumer(consumerConfig(groups.deadletterStore, config.writer.sessionTimeoutMs, config.writer.heartbeatMs));
        consumers.push(c);
        await startConsumer(
          c,
          { topic: topics.deadletter, partitionsConsumedConcurrently: 1 },
          (batch, control) => dlqService.storeBatch(batch, control),
          dlqLog,
        );
      }
      timer = setInterval(logSummary, deps.summaryIntervalMs ?? SUMMARY_INTERVAL_MS);
      timer.unref();
      log.info({ topics, groups, consumers: enabled }, 'writer started');
    },
    stop() {
      stopping ??= (async () => {
        if (timer) clearInterval(timer);
        // Reverse order of creation: consumers drain and commit their batch in flight, then the
        // producer the stream writer publishes dead letters with.
        await Promise.all(consumers.reverse().map((c) => c.disconnect()));
        if (producerConnected) await producer.disconnect();
        logSummary();
        log.info({}, 'writer stopped');
      })();
      return stopping;
    },
  };
}
