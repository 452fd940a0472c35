import {
  KAFKA_HEADERS,
  formatIssues,
  readingMessageSchema,
  type DeadLetter,
  type Logger,
  type ReadingMessage,
  type Rejection,
} from '@voc/domain';
import { chunkByWeight, DEAD_LETTER_MAX_PAYLOAD_BYTES, deadLetter, headerString, type RecordHeaders } from '@voc/messaging';
import {
  backoffOf,
  errorText,
  realSleep,
  retryUntilDone,
  settleBatch,
  storeIsolating,
  type BatchControl,
  type BatchOutcome,
  type RetryContext,
  type Sleep,
} from '@voc/messaging';
import { deviceIdRejection, schemaRejection } from './envelope.js';

export type { RecordHeaders } from '@voc/messaging';

/** One Kafka record as the writer sees it (a subset of kafkajs `KafkaMessage`). */
export interface SourceRecord {
  /** Offset in its partition, decimal string. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Record timestamp, ms since the Unix epoch as a decimal string (producer create time). */
  timestamp: string;
  headers?: RecordHeaders;
}

/** The records of one partition fetched together, in offset order. */
export interface SourceBatch {
  topic: string;
  partition: number;
  records: readonly SourceRecord[];
}

/**
 * Where readings go. `insertBatch` stores every value of `messages` as narrow rows in one transaction,
 * skipping rows whose (device, metric, time) already exist, and returns the number of rows inserted.
 * It rejects with the driver's error; {@link StoreErrors} tells the writer what kind it is.
 */
export interface ReadingStore {
  insertBatch(messages: readonly ReadingMessage[]): Promise<number>;
}

/** Where unstorable records go: the dead-letter topic. Resolves once the broker acknowledged all of them (acks = all). */
export interface DeadLetterSink {
  publish(letters: readonly DeadLetter[]): Promise<void>;
}

/** Classifies errors of a store. */
export interface StoreErrors {
  /** The database is unreachable or lost a race: wait and retry the same statement. */
  isTransient(err: unknown): boolean;
  /** The database refuses this data (SQLSTATE 22xxx/23xxx): retrying cannot help; isolate the offender. */
  isRefused(err: unknown): boolean;
}

/** Counters of the stream writer since start (monotonic). */
export interface WriterCounters {
  /** Batches durably handled (stored and dead-lettered, ready to commit). */
  batches: number;
  /** Kafka records in those batches. */
  messages: number;
  /** Reading rows newly inserted. */
  rowsInserted: number;
  /** Rows skipped because (device, metric, time) was already stored (redelivery, replay). */
  duplicates: number;
  /** Records sent to the dead-letter topic. */
  deadLettered: number;
  /** Retries of a database or dead-letter publish operation. */
  retries: number;
  /** Batches given up uncommitted (shutdown or rebalance during a retry wait). */
  abandoned: number;
}

/** Settings of the stream writer (`config.writer`). */
export interface StreamWriterOptions {
  /** Most reading rows per insert statement (`VOC_WRITER_MAX_BATCH_ROWS`). */
  maxBatchRows: number;
  /** Longest wait between retries, ms (`VOC_WRITER_RETRY_MAX_MS`). */
  retryMaxMs: number;
  /** First retry wait, ms; doubles each attempt. Default 250 (`DEFAULT_RETRY_BASE_MS`). */
  retryBaseMs?: number;
}

/** Dependencies of {@link StreamWriter}. */
export interface StreamWriterDeps {
  store: ReadingStore;
  errors: StoreErrors;
  deadLetters: DeadLetterSink;
  log: Logger;
  options: StreamWriterOptions;
  sleep?: Sleep;
  /** Current time (dead letters' fallback receive time); tests may fake it. */
  now?: () => Date;
}

/** A record that parsed as a reading. */
interface Parsed {
  record: SourceRecord;
  reading: ReadingMessage;
}

/** The res-12 cell as h3-js writes it: 15 hex digits. */
const H3_HEX = /^[0-9a-f]{15}$/i;

/**
 * Outcome of parsing one record value as a reading message.
 * @returns the reading, or why it cannot be stored (no JSON, schema violation, a cell that is not H3)
 */
export function parseReadingValue(value: Buffer | null): { ok: true; reading: ReadingMessage } | { ok: false; detail: string } {
  if (value === null) return { ok: false, detail: 'record has no value' };
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return { ok: false, detail: `value is not JSON: ${(err as Error).message}` };
  }
  const r = readingMessageSchema.safeParse(json);
  if (!r.success) {
    const issues = formatIssues(r.error.issues);
    return { ok: false, detail: `value is not a reading message: ${issues}` };
  }
  if (r.data.h3 !== null && !H3_HEX.test(r.data.h3))
    return { ok: false, detail: `h3 "${r.data.h3}" is not an H3 cell index (15 hex digits)` };
  return { ok: true, reading: r.data };
}

/**
 * The stream writer: stores batches of reading records from `voc.readings.v1`.
 *
 * Per batch: records without the reading schema header (`unknown_schema`), that do not parse
 * (`unstorable`) or whose key, header and value disagree on the device id (`device_id_mismatch`)
 * become dead letters (stage `writer`, with their Kafka position and raw value); the rest are inserted in chunks of at most `maxBatchRows` rows, one
 * transaction per chunk, idempotent on (device, metric, time). A chunk the database refuses as data
 * is bisected until the refused records are isolated; they become dead letters with the database
 * error in `detail` and the rest are stored. While the database is unreachable the same statement is
 * retried with exponential backoff, heartbeating, until it succeeds or the batch is abandoned.
 * Dead letters are published (acks = all) before the batch reports `stored`, so its offsets may be
 * committed: nothing is committed that is not in the database or on the dead-letter topic.
 */
export class StreamWriter {
  readonly counters: WriterCounters = {
    batches: 0,
    messages: 0,
    rowsInserted: 0,
    duplicates: 0,
    deadLettered: 0,
    retries: 0,
    abandoned: 0,
  };
  private readonly sleep: Sleep;
  private readonly now: () => Date;
  private readonly logs = new Map<string, Logger>();

  constructor(private readonly deps: StreamWriterDeps) {
    this.sleep = deps.sleep ?? realSleep;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Stores one partition batch.
   * @returns `stored` when every record is in the database or on the dead-letter topic (commit the
   *   batch's offsets now); `abandoned` when the consumer stopped or lost the partition while waiting
   *   for the database (commit nothing: the batch is redelivered and idempotency absorbs what was stored)
   * @throws what `control.heartbeat()` throws during a rebalance (let kafkajs rejoin the group)
   */
  async storeBatch(batch: SourceBatch, control: BatchControl): Promise<BatchOutcome> {
    const log = this.logFor(batch);
    const letters: DeadLetter[] = [];
    const parsed: Parsed[] = [];
    for (const record of batch.records) {
      const r = this.accept(record);
      if ('reading' in r) parsed.push({ record, reading: r.reading });
      else letters.push(this.refused(batch, record, r));
    }
    return settleBatch(batch.records, 'batch', log, this.counters, async () => {
      const chunks = chunkByWeight(parsed, (p) => p.reading.values.length, this.deps.options.maxBatchRows);
      for (const chunk of chunks) {
        await storeIsolating(
          chunk,
          (items) => this.insert(items, control, log),
          (err) => this.deps.errors.isRefused(err),
          (item, err) => {
            letters.push(
              this.refused(batch, item.record, { reason: 'unstorable', detail: `database refused the reading: ${errorText(err)}` }),
            );
          },
        );
        await control.heartbeat();
      }
      if (letters.length > 0) {
        await retryUntilDone(
          () => this.deps.deadLetters.publish(letters),
          this.retryContext('publish dead letters', control, log, () => true),
        );
        this.counters.deadLettered += letters.length;
        for (const l of letters) log.warn({ offset: l.source?.offset, deviceId: l.deviceId, detail: l.detail }, 'record dead-lettered');
      }
      this.counters.batches++;
      this.counters.messages += batch.records.length;
    });
  }

  /** One insert of a chunk, retried while the database is unreachable. */
  private async insert(items: readonly Parsed[], control: BatchControl, log: Logger): Promise<number> {
    const rows = items.reduce((n, p) => n + p.reading.values.length, 0);
    const readings = items.map((p) => p.reading);
    const inserted = await retryUntilDone(
      () => this.deps.store.insertBatch(readings),
      this.retryContext('insert readings', control, log, (err) => !this.deps.errors.isRefused(err)),
    );
    this.counters.rowsInserted += inserted;
    this.counters.duplicates += rows - inserted;
    return inserted;
  }

  private retryContext(what: string, control: BatchControl, log: Logger, retryable: (err: unknown) => boolean): RetryContext {
    return {
      what,
      control,
      log,
      backoff: backoffOf(this.deps.options),
      sleep: this.sleep,
      retryable,
      // Publishing retries only on broker trouble; database retries are expected only for an outage.
      expected: (err) => what.startsWith('publish') || this.deps.errors.isTransient(err),
      onRetry: () => {
        this.counters.retries++;
      },
    };
  }

  /**
   * The reading a record carries, or why it is refused: schema header (`unknown_schema`), value
   * (`unstorable`), then key, header and value device ids (`device_id_mismatch`; see envelope.ts).
   */
  private accept(record: SourceRecord): { reading: ReadingMessage } | Rejection {
    const schema = schemaRejection(record.headers);
    if (schema) return schema;
    const r = parseReadingValue(record.value);
    if (!r.ok) return { reason: 'unstorable', detail: r.detail };
    return deviceIdRejection(record.key, record.headers, r.reading) ?? { reading: r.reading };
  }

  /**
   * Dead letter for a refused record, with its Kafka position and raw value (cut to
   * {@link DEAD_LETTER_MAX_PAYLOAD_BYTES}; `payloadBytes` keeps the full size).
   */
  private refused(batch: SourceBatch, record: SourceRecord, rejection: Rejection): DeadLetter {
    const raw = record.value ?? Buffer.alloc(0);
    const cut = raw.length > DEAD_LETTER_MAX_PAYLOAD_BYTES;
    const { reason, detail } = rejection;
    const letter = deadLetter(
      { reason, detail: cut ? `${detail} (payload cut to its first ${DEAD_LETTER_MAX_PAYLOAD_BYTES} bytes)` : detail },
      {
        stage: 'writer',
        payload: cut ? raw.subarray(0, DEAD_LETTER_MAX_PAYLOAD_BYTES) : raw,
        receivedAt: recordTime(record, () => this.now()),
        deviceId: headerString(record.headers, KAFKA_HEADERS.deviceId) ?? record.key?.toString('utf8'),
        mqttTopic: headerString(record.headers, KAFKA_HEADERS.mqttTopic),
        source: { topic: batch.topic, partition: batch.partition, offset: record.offset },
      },
    );
    return { ...letter, payloadBytes: raw.length };
  }

  private logFor(batch: SourceBatch): Logger {
    const k = `${batch.topic}/${batch.partition}`;
    let l = this.logs.get(k);
    if (!l) {
      l = this.deps.log.child({ topic: batch.topic, partition: batch.partition });
      this.logs.set(k, l);
    }
    return l;
  }
}

/** When a record was produced (its Kafka timestamp), or `fallback()` when it carries no positive timestamp. */
export function recordTime(record: SourceRecord, fallback: () => Date): Date {
  const ts = Number(record.timestamp);
  return Number.isFinite(ts) && ts > 0 ? new Date(ts) : fallback();
}
