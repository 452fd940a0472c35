import type { Logger } from '@voc/domain';
import { Kafka, logLevel, type Admin, type IHeaders, type LogEntry } from 'kafkajs';
import { ERROR_CODES, KAFKA_TOPICS, VocError, type KafkaTopicKey } from '@voc/domain';

/** How a client reaches the brokers: `config.kafka` (packages/config) satisfies it. */
export interface KafkaClientOptions {
  /** `host:port` list. */
  brokers: string[];
  clientId: string;
  /** TLS (SASL_SSL listener) with an optional CA in PEM; `false` or absent: SASL_PLAINTEXT. */
  ssl?: false | { ca?: string };
  /** The principal's SCRAM-SHA-512 credentials; absent: an anonymous client (which the brokers refuse). */
  sasl?: { mechanism: 'scram-sha-512'; username: string; password: string };
}

/**
 * Builds a kafkajs client whose log lines go to the service logger. It authenticates with SCRAM-SHA-512
 * as `opts.sasl` (each service passes its own principal from `loadConfig(env, { service })`).
 */
export function createKafka(opts: KafkaClientOptions, log: Logger): Kafka {
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    ...(opts.ssl ? { ssl: opts.ssl.ca === undefined ? true : { ca: [opts.ssl.ca] } } : {}),
    ...(opts.sasl ? { sasl: { mechanism: opts.sasl.mechanism, username: opts.sasl.username, password: opts.sasl.password } } : {}),
    connectionTimeout: 5000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const obj = { kafka: rest };
        if (level <= logLevel.ERROR) log.error(obj, message);
        else if (level === logLevel.WARN) log.warn(obj, message);
        else if (level === logLevel.INFO) log.info(obj, message);
        else log.debug(obj, message);
      },
  });
}

/** Topic names, possibly prefixed so tests own their topics (`prefix` + catalogue name). */
export type TopicNames = Record<KafkaTopicKey, string>;

/** Catalogue topic names with an optional prefix (tests use a unique one per suite). */
export function topicNames(prefix = ''): TopicNames {
  return {
    readings: prefix + KAFKA_TOPICS.readings.name,
    deadletter: prefix + KAFKA_TOPICS.deadletter.name,
    alerts: prefix + KAFKA_TOPICS.alerts.name,
  };
}

/**
 * Creates the catalogue topics with their partition counts and retention if they do not exist
 * (brokers run with `auto.create.topics.enable=false`).
 * @returns names created now
 */
export async function ensureTopics(admin: Admin, names: TopicNames = topicNames()): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const wanted = (Object.keys(KAFKA_TOPICS) as KafkaTopicKey[])
    .filter((k) => !existing.has(names[k]))
    .map((k) => ({
      topic: names[k],
      numPartitions: KAFKA_TOPICS[k].partitions,
      replicationFactor: 1,
      configEntries: [
        { name: 'retention.ms', value: String(KAFKA_TOPICS[k].retentionMs) },
        { name: 'compression.type', value: 'producer' },
      ],
    }));
  if (wanted.length > 0) await admin.createTopics({ topics: wanted, waitForLeaders: true });
  return wanted.map((w) => w.topic);
}

/**
 * The one boot check that Kafka topics exist (STYLE.md §11): connects `admin`, lists topics and
 * disconnects.
 * @param names topic names with their prefix
 * @throws VocError `VOC_ERR_KAFKA_UNAVAILABLE` naming the missing topics (run `voc setup`)
 */
export async function requireTopics(admin: Admin, names: readonly string[]): Promise<void> {
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const absent = [...new Set(names)].filter((t) => !existing.has(t));
    if (absent.length > 0)
      throw new VocError(ERROR_CODES.kafka_unavailable, `missing Kafka topics ${absent.join(', ')}: run \`voc setup\``);
  } finally {
    await admin.disconnect();
  }
}

/** Kafka record headers as kafkajs delivers them (values are Buffers, strings or arrays of them). */
export type RecordHeaders = IHeaders;

/**
 * First value of the header `name` as UTF-8 text; `undefined` when the header is absent. The one
 * header reader of the project (the stream writer's envelope checks, tests).
 */
export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : one.toString();
}
