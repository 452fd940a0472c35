import { deadLetterSchema, formatIssues, type DeadLetter, type Logger } from '@voc/domain';
import { deadLetter } from '@voc/messaging';
import {
  BatchAbandoned,
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
import { recordTime, type SourceBatch, type SourceRecord, type StoreErrors } from './writer.js';

/** A dead letter with its own position on the dead-letter topic, which is its idempotency key. */
export interface PositionedDeadLetter {
  letter: DeadLetter;
  partition: number;
  /** Offset on the dead-letter topic, decimal string. */
  offset: string;
  /** Name of the dead-letter topic. */
  topic: string;
}

/**
 * Where dead letters are kept for operators (table `dead_letters`). `insertBatch` stores them in one
 * statement, skipping positions (topic, partition, offset) already stored, and returns how many it inserted.
 */
export interface DeadLetterStore {
  insertBatch(items: readonly PositionedDeadLetter[]): Promise<number>;
}

/** Counters of the dead-letter store since start (monotonic). */
export interface DeadLetterStoreCounters {
  batches: number;
  /** Records consumed from the dead-letter topic in handled batches. */
  letters: number;
  /** Rows newly inserted into `dead_letters`. */
  stored: number;
  /** Records already stored (redelivery). */
  duplicates: number;
  /** Records that were not valid dead letters, stored as `unstorable` wrappers of their raw bytes. */
  malformed: number;
  /** Records even the wrapper could not store (logged at error with their position). */
  lost: number;
  retries: number;
  abandoned: number;
}

/** Dependencies of {@link DeadLetterStoreService}. */
export interface DeadLetterStoreDeps {
  store: DeadLetterStore;
  errors: StoreErrors;
  log: Logger;
  options: { retryMaxMs: number; retryBaseMs?: number };
  sleep?: Sleep;
  now?: () => Date;
}

interface Item {
  record: SourceRecord;
  stored: PositionedDeadLetter;
}

/** PostgreSQL text cannot hold NUL; a dead letter must still be storable, so NUL becomes U+FFFD. */
function withoutNul<T>(v: T): T {
  if (typeof v === 'string') return v.replace(/\u0000/g, '\uFFFD') as T;
  if (Array.isArray(v)) return v.map(withoutNul) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutNul(x)])) as T;
  return v;
}

/**
 * Consumes `voc.deadletter.v1` into `dead_letters`, idempotent on the record's own (topic, partition, offset).
 * A record that is not a valid dead letter, or one the database refuses (e.g. a payload that is not
 * base64), is stored as an `unstorable` letter wrapping its raw bytes, so nothing on the topic is
 * skipped silently. While the database is unreachable it retries with backoff like the stream writer.
 */
export class DeadLetterStoreService {
  readonly counters: DeadLetterStoreCounters = {
    batches: 0,
    letters: 0,
    stored: 0,
    duplicates: 0,
    malformed: 0,
    lost: 0,
    retries: 0,
    abandoned: 0,
  };
  private readonly sleep: Sleep;
  private readonly now: () => Date;

  constructor(private readonly deps: DeadLetterStoreDeps) {
    this.sleep = deps.sleep ?? realSleep;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Stores one partition batch of the dead-letter topic.
   * @returns `stored` (commit the offsets) or `abandoned` (commit nothing)
   */
  async storeBatch(batch: SourceBatch, control: BatchControl): Promise<BatchOutcome> {
    const log = this.deps.log.child({ topic: batch.topic, partition: batch.partition });
    const items: Item[] = batch.records.map((record) => ({ record, stored: this.toStored(batch, record) }));
    return settleBatch(batch.records, 'dead-letter batch', log, this.counters, async () => {
      await storeIsolating(
        items,
        (xs) => this.insert(xs, control, log),
        (err) => this.deps.errors.isRefused(err),
        async (item, err) => {
          const wrapper = this.wrap(batch, item.record, `dead letter refused by the database: ${errorText(err)}`);
          try {
            await this.insert([{ record: item.record, stored: wrapper }], control, log);
          } catch (again) {
            if (again instanceof BatchAbandoned || !this.deps.errors.isRefused(again)) throw again;
            this.counters.lost++;
            log.error({ offset: item.record.offset, err: again }, 'dead letter cannot be stored even as a wrapper');
          }
        },
      );
      this.counters.batches++;
      this.counters.letters += batch.records.length;
    });
  }

  private async insert(items: readonly Item[], control: BatchControl, log: Logger): Promise<number> {
    const ctx: RetryContext = {
      what: 'insert dead letters',
      control,
      log,
      backoff: backoffOf(this.deps.options),
      sleep: this.sleep,
      retryable: (err) => !this.deps.errors.isRefused(err),
      expected: (err) => this.deps.errors.isTransient(err),
      onRetry: () => {
        this.counters.retries++;
      },
    };
    const inserted = await retryUntilDone(() => this.deps.store.insertBatch(items.map((i) => i.stored)), ctx);
    this.counters.stored += inserted;
    this.counters.duplicates += items.length - inserted;
    return inserted;
  }

  private toStored(batch: SourceBatch, record: SourceRecord): PositionedDeadLetter {
    let detail: string;
    try {
      const r = deadLetterSchema.safeParse(JSON.parse(record.value?.toString('utf8') ?? 'null'));
      if (r.success) return { letter: withoutNul(r.data), topic: batch.topic, partition: batch.partition, offset: record.offset };
      detail = formatIssues(r.error.issues);
    } catch (err) {
      detail = `not JSON: ${(err as Error).message}`;
    }
    this.counters.malformed++;
    return this.wrap(batch, record, `record on the dead-letter topic is not a dead letter: ${detail}`);
  }

  /** An `unstorable` letter carrying the record's raw bytes, at the record's own position. */
  private wrap(batch: SourceBatch, record: SourceRecord, detail: string): PositionedDeadLetter {
    const letter = deadLetter(
      { reason: 'unstorable', detail: withoutNul(detail) },
      {
        stage: 'writer',
        payload: record.value ?? Buffer.alloc(0),
        receivedAt: recordTime(record, () => this.now()),
        source: { topic: batch.topic, partition: batch.partition, offset: record.offset },
      },
    );
    return { letter, topic: batch.topic, partition: batch.partition, offset: record.offset };
  }
}
